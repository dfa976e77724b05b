/** One webhook delivery: an HTTP POST of one event, signed; any 2xx is success, anything else a failure with its cause. */
import { signature } from './signing.js';

export interface DeliveryRequest {
  url: string;
  secret: string;
  eventType: string;
  deliveryId: string;
  body: string;
}

export type DeliveryOutcome = { ok: true; status: number } | { ok: false; error: string };

const TIMEOUT_MS = 10_000;

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  if (cause?.code) return `${cause.code}: ${cause.message ?? ''}`.trim();
  return (error as Error).message ?? String(error);
}

export async function postEvent(request: DeliveryRequest, timeoutMs = TIMEOUT_MS): Promise<DeliveryOutcome> {
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Roster-Webhooks/1',
        'x-roster-event': request.eventType,
        'x-roster-delivery': request.deliveryId,
        'x-roster-signature': signature(request.secret, request.body),
      },
      body: request.body,
      // A redirect is not followed: the body and its signature were meant for the URL the administrator gave.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300 ? { ok: true, status: response.status } : { ok: false, error: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, error: causeOf(error) };
  }
}
