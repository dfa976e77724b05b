/**
 * The logger. Secrets are redacted by key wherever they appear in a logged object; messages are built from
 * names, DNs and result codes, never from passwords. Every line carries the instance's name, so the logs of
 * several instances on one database can be told apart (and matched with /api/health's lock holder).
 */
import { hostname } from 'node:os';
import { chmodSync, renameSync, statSync } from 'node:fs';
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

/** A log file is rotated when it is opened past this size; one previous file (`.1`) is kept. */
export const LOG_FILE_LIMIT = 10 * 1024 * 1024;

/**
 * The server logs to stdout, as services do (journald, a container runtime or a process manager keeps and rotates
 * it). Only `roster login` writes a file (data/roster.log): each run is one short process, so the file is rotated
 * when a run opens it past LOG_FILE_LIMIT, bounding it at about twice that (issue #12: it grew without bound).
 * Readable by its owner only: it names users and sources.
 */
export function createLogger(options: { level?: string; destination?: string; instance?: string } = {}): Logger {
  const level = options.level ?? process.env.ROSTER_LOG_LEVEL ?? 'info';
  const redact = { paths: REDACTED_PATHS, censor: '[redacted]' };
  const base = { pid: process.pid, hostname: hostname(), instance: options.instance ?? instanceName() };
  if (options.destination) {
    rotateIfLarge(options.destination);
    const logger = pino({ level, redact, base }, pino.destination({ dest: options.destination, mkdir: true, sync: true, mode: 0o600 }));
    narrowToOwner(options.destination);
    return logger;
  }
  return pino({ level, redact, base });
}

function rotateIfLarge(file: string): void {
  try {
    if (statSync(file).size > LOG_FILE_LIMIT) renameSync(file, `${file}.1`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** A file created before this version (or by a 022 umask elsewhere) is narrowed too. */
function narrowToOwner(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch (error) {
    if (!['ENOENT', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}
