/**
 * A named lock in the database, so it holds across processes (and across hosts with PostgreSQL).
 * Taking it is one INSERT on a primary key: atomic on both engines. A holder renews its lease while it works;
 * a lock whose lease ran out, or whose holder process on this host is gone (killed mid-run), is taken over.
 *
 * The lease is 60 s, renewed every 20 s: a holder on another host that dies (or loses the database) blocks
 * the lock until its lease ends, at most 60 s after its last renewal. On the holder's own host its death is
 * seen at once (the pid is gone), so a killed process never blocks the next run there.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RosterError } from '../errors.js';
import type { Executor } from './users.js';

export interface HeldLock {
  /**
   * Checks, inside the caller's transaction, that this process still holds the lock, and renews the lease.
   * A holder whose lease ran out and was taken over must not commit: the update locks the row (PostgreSQL)
   * or the database (SQLite) until the transaction ends, so no one can take the lock between this check and
   * the commit.
   */
  confirm(trx: Executor): Promise<void>;
  release(): Promise<void>;
}

/** Who holds a lock, for /api/health and the metrics. */
export interface LockHolder {
  instance: string;
  host: string;
  pid: number;
  acquiredAt: Date;
  leaseEndsAt: Date;
}

export const LEASE_MS = 60_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Inserts this holder's row unless the lock is taken: false when taken; any other failure is thrown as it is. */
async function tryInsert(db: Executor, name: string, owner: string, instance: string): Promise<boolean> {
  const now = Date.now();
  const inserted = await db
    .insertInto('locks')
    .values({ name, owner, instance, host: hostname(), pid: process.pid, acquired_at: now, expires_at: now + LEASE_MS })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

function describeHolder(holder: { instance: string; host: string; pid: number; acquired_at: number }): string {
  const since = holder.acquired_at > 0 ? ` since ${new Date(holder.acquired_at).toISOString()}` : '';
  return `held by instance ${holder.instance || `${holder.host}:${holder.pid}`} (process ${holder.pid} on ${holder.host})${since}`;
}

/** Takes the lock or throws SYNC_ALREADY_RUNNING naming its holder. `instance` names this process. */
export async function acquireLock(db: Executor, name: string, busyMessage: string, instance: string): Promise<HeldLock> {
  const owner = randomUUID();
  if (!(await tryInsert(db, name, owner, instance))) {
    const holder = await db.selectFrom('locks').selectAll().where('name', '=', name).executeTakeFirst();
    const stale = holder && (holder.expires_at < Date.now() || (holder.host === hostname() && !processAlive(holder.pid)));
    if (holder && !stale) throw new RosterError('SYNC_ALREADY_RUNNING', `${busyMessage} (${describeHolder(holder)}).`);
    // Only the row of the stale holder: a sibling that took it over meanwhile keeps its lock.
    if (holder) await db.deleteFrom('locks').where('name', '=', name).where('owner', '=', holder.owner).execute();
    if (!(await tryInsert(db, name, owner, instance))) throw new RosterError('SYNC_ALREADY_RUNNING', `${busyMessage}.`);
  }
  const renew = (executor: Executor) =>
    executor
      .updateTable('locks')
      .set({ expires_at: Date.now() + LEASE_MS })
      .where('name', '=', name)
      .where('owner', '=', owner)
      .executeTakeFirst();
  const renewal = setInterval(() => void renew(db).catch(() => {}), LEASE_MS / 3);
  renewal.unref();
  return {
    async confirm(trx) {
      const result = await renew(trx);
      if (Number(result.numUpdatedRows) === 0) {
        throw new RosterError(
          'SYNC_LOCK_LOST',
          `This run's lease on the lock "${name}" ended and another instance took the lock over, so nothing was committed; the next run starts afresh.`,
        );
      }
    },
    async release() {
      clearInterval(renewal);
      await db.deleteFrom('locks').where('name', '=', name).where('owner', '=', owner).execute();
    },
  };
}

/** The lock's holder, or null when it is free. A holder past its lease is still shown (until someone takes over). */
export async function findLockHolder(db: Executor, name: string): Promise<LockHolder | null> {
  const row = await db.selectFrom('locks').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) return null;
  return {
    instance: row.instance || `${row.host}:${row.pid}`,
    host: row.host,
    pid: row.pid,
    acquiredAt: new Date(row.acquired_at || row.expires_at - LEASE_MS),
    leaseEndsAt: new Date(row.expires_at),
  };
}
