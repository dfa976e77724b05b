/**
 * A named lock in the database, so it holds across processes (and across hosts with PostgreSQL).
 * Taking it is one INSERT on a primary key: atomic on both engines. A holder renews its lease while it works;
 * a lock whose lease ran out, or whose holder process on this host is gone (killed mid-run), is taken over.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RosterError } from '../errors.js';
import type { Executor } from './users.js';

export interface HeldLock {
  release(): Promise<void>;
}

const LEASE_MS = 60_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryInsert(db: Executor, name: string, owner: string): Promise<boolean> {
  try {
    await db
      .insertInto('locks')
      .values({ name, owner, host: hostname(), pid: process.pid, expires_at: Date.now() + LEASE_MS })
      .execute();
    return true;
  } catch {
    return false;
  }
}

export async function acquireLock(db: Executor, name: string, busyMessage: string): Promise<HeldLock> {
  const owner = randomUUID();
  if (!(await tryInsert(db, name, owner))) {
    const holder = await db.selectFrom('locks').selectAll().where('name', '=', name).executeTakeFirst();
    const stale = holder && (holder.expires_at < Date.now() || (holder.host === hostname() && !processAlive(holder.pid)));
    if (holder && !stale) {
      throw new RosterError('SYNC_ALREADY_RUNNING', `${busyMessage} (held by process ${holder.pid} on ${holder.host} since less than ${LEASE_MS / 1000} s ago).`);
    }
    if (holder) await db.deleteFrom('locks').where('name', '=', name).where('owner', '=', holder.owner).execute();
    if (!(await tryInsert(db, name, owner))) throw new RosterError('SYNC_ALREADY_RUNNING', `${busyMessage}.`);
  }
  const renewal = setInterval(() => {
    void db
      .updateTable('locks')
      .set({ expires_at: Date.now() + LEASE_MS })
      .where('name', '=', name)
      .where('owner', '=', owner)
      .execute()
      .catch(() => {});
  }, LEASE_MS / 3);
  renewal.unref();
  return {
    async release() {
      clearInterval(renewal);
      await db.deleteFrom('locks').where('name', '=', name).where('owner', '=', owner).execute();
    },
  };
}
