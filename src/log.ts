/**
 * The logger. Secrets are redacted by key wherever they appear in a logged object; messages are built from
 * names, DNs and result codes, never from passwords. Every line carries the instance's name, so the logs of
 * several instances on one database can be told apart (and matched with /api/health's lock holder).
 */
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { RosterError } from './errors.js';

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

const INSTANCE_NAME = /^[\x21-\x7e]{1,100}$/;

/**
 * This process's name among the instances sharing a database: `ROSTER_INSTANCE` when set (a pod or container
 * name, say), else `host:pid`, which is unique among live processes and says where to look.
 */
export function instanceName(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.ROSTER_INSTANCE?.trim();
  if (!configured) return `${hostname()}:${process.pid}`;
  if (!INSTANCE_NAME.test(configured)) {
    throw new RosterError('CONFIG_INVALID', 'ROSTER_INSTANCE: must be 1 to 100 printable ASCII characters without spaces', {
      details: [{ path: 'ROSTER_INSTANCE', message: 'must be 1 to 100 printable ASCII characters without spaces' }],
    });
  }
  return configured;
}

export function createLogger(options: { level?: string; destination?: string; instance?: string } = {}): Logger {
  const level = options.level ?? process.env.ROSTER_LOG_LEVEL ?? 'info';
  const redact = { paths: REDACTED_PATHS, censor: '[redacted]' };
  const base = { pid: process.pid, hostname: hostname(), instance: options.instance ?? instanceName() };
  if (options.destination) return pino({ level, redact, base }, pino.destination({ dest: options.destination, mkdir: true, sync: true }));
  return pino({ level, redact, base });
}
