/**
 * Request authentication: `Authorization: Bearer <token>` or the session cookie. Cookie-authenticated requests
 * that change something must carry the session's CSRF token in `X-CSRF-Token` (the console's htmx sends it);
 * bearer tokens are not sent by browsers on their own, so they need none.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_COOKIE, DEVICE_LIFETIME_MS, rememberDevice } from '../auth/devices.js';
import { RosterError } from '../errors.js';
import type { RosterApp } from '../app.js';
import { findSession } from '../store/sessions.js';
import { findUserById, type StoredUser } from '../store/users.js';

export const SESSION_COOKIE = 'roster_session';
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;

export interface RequestSession {
  user: StoredUser;
  token: string;
  csrfToken: string;
  via: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyRequest {
    session?: RequestSession;
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) cookies[part.slice(0, index).trim()] = decodeURIComponent(part.slice(index + 1).trim());
  }
  return cookies;
}

export function sessionCookie(token: string, request: FastifyRequest, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' || process.env.ROSTER_SECURE_COOKIES === '1' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** The device cookie (auth/devices.ts): sent with every request, HttpOnly, for 30 days. */
export function deviceCookie(token: string, request: FastifyRequest, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' || process.env.ROSTER_SECURE_COOKIES === '1' ? '; Secure' : '';
  return `${DEVICE_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

export function deviceTokenOf(request: FastifyRequest): string | undefined {
  return parseCookies(request.headers.cookie)[DEVICE_COOKIE];
}

/** Session cookie, and the device cookie when a new one is due: the answer to a successful login. */
export async function loginCookies(app: RosterApp, request: FastifyRequest, user: StoredUser, sessionToken: string): Promise<string[]> {
  const cookies = [sessionCookie(sessionToken, request, SESSION_LIFETIME_MS / 1000)];
  const device = await rememberDevice(app.store, user, deviceTokenOf(request));
  if (device) cookies.push(deviceCookie(device, request, DEVICE_LIFETIME_MS / 1000));
  return cookies;
}

function tokenOf(request: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return { token: header.slice(7).trim(), via: 'bearer' };
  const cookie = parseCookies(request.headers.cookie)[SESSION_COOKIE];
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

export async function resolveSession(app: RosterApp, request: FastifyRequest): Promise<RequestSession | undefined> {
  const found = tokenOf(request);
  if (!found) return undefined;
  const session = await findSession(app.store.db, found.token);
  if (!session) return undefined;
  const user = await findUserById(app.store.db, session.userId);
  if (!user || user.disabled || !user.privileges.includes('login')) return undefined;
  return { user, token: found.token, csrfToken: session.csrfToken, via: found.via };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A preHandler: 401 without a valid session, 403 without the privilege, 403 on a missing CSRF token. */
export function requireUser(app: RosterApp, privilege?: 'admin') {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const session = await resolveSession(app, request);
    if (!session) throw new RosterError('AUTH_REQUIRED', 'Log on first (POST /api/login), then send the token as "Authorization: Bearer <token>" or the session cookie.');
    if (session.via === 'cookie' && !SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      throw new RosterError('FORBIDDEN', 'Missing or wrong X-CSRF-Token header for a cookie-authenticated request.');
    }
    if (privilege && !session.user.privileges.includes(privilege)) throw new RosterError('FORBIDDEN', `This needs the ${privilege} privilege.`);
    request.session = session;
  };
}
