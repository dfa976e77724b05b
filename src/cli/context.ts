import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Store } from '../store/store.js';
import { printNote } from './output.js';

export interface GlobalOptions {
  data: string;
  databaseUrl?: string;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export interface StoreUse {
  /**
   * Create the administrator when no enabled user holds `admin` (default true). Off only for a command that
   * creates an administrator itself (`users add … --privilege admin`), so it does not get a second one.
   */
  ensureAdministrator?: boolean;
}

/**
 * Opens the store for one command and always closes it. Like `roster serve`, every command that opens the
 * database makes sure it has an administrator; the process that creates one prints its password on stderr,
 * once (stdout stays the command's own output, `--json` included).
 */
export async function withStore<T>(command: Command, work: (store: Store) => Promise<T>, use: StoreUse = {}): Promise<T> {
  const options = globalOptions(command);
  // Loaded on demand: Kysely and the SQLite driver cost a third of a second at start-up, which
  // "Test settings" with a file and no database yet does not need.
  const [{ Store }, { instanceName }] = await Promise.all([import('../store/store.js'), import('../log.js')]);
  const store = await Store.open({ dataDir: options.data, databaseUrl: options.databaseUrl, instance: instanceName() });
  try {
    if (use.ensureAdministrator !== false) {
      const { administratorNotice, ensureAdministrator } = await import('../admin/administrator.js');
      printNote(administratorNotice(await ensureAdministrator(store)));
    }
    return await work(store);
  } catch (error) {
    const { storeFailure } = await import('../store/failures.js');
    throw storeFailure(error, store.location) ?? error;
  } finally {
    await store.close();
  }
}

/** Reads a secret from standard input, without its final line break. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Whether a database exists already: "Test settings" with a file must not create one. */
export function storeExists(command: Command): boolean {
  const options = globalOptions(command);
  return options.databaseUrl !== undefined || existsSync(join(options.data, 'roster.db'));
}
