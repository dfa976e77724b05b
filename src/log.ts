/**
 * The logger. Secrets are redacted by key wherever they appear in a logged object; messages are built from
 * names, DNs and result codes, never from passwords.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'connection.password',
  '*.connection.password',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function createLogger(options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env.ROSTER_LOG_LEVEL ?? 'info';
  const redact = { paths: REDACTED_PATHS, censor: '[redacted]' };
  if (options.destination) return pino({ level, redact }, pino.destination({ dest: options.destination, mkdir: true, sync: true }));
  return pino({ level, redact });
}
