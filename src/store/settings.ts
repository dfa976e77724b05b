import { createHash } from 'node:crypto';
import { validateSettings } from '../config/load.js';
import type { DirectorySettings } from '../config/schema.js';
import type { SecretBox } from './secrets.js';
import type { Executor } from './users.js';

const DIRECTORY_KEY = 'directory';

/** Stores validated settings; the password is sealed, never stored in clear. */
export async function saveDirectorySettings(db: Executor, box: SecretBox, settings: DirectorySettings): Promise<void> {
  const stored = { ...settings, connection: { ...settings.connection, password: box.seal(settings.connection.password) } };
  const value = JSON.stringify(stored);
  const now = new Date().toISOString();
  await db
    .insertInto('settings')
    .values({ key: DIRECTORY_KEY, value, updated_at: now })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

export async function loadDirectorySettings(db: Executor, box: SecretBox): Promise<DirectorySettings | undefined> {
  const raw = await loadRawDirectorySettings(db);
  return raw === undefined ? undefined : decodeDirectorySettings(raw, box);
}

/** The stored text as it is: cheap to read on every login, and to compare with what was decoded last. */
export async function loadRawDirectorySettings(db: Executor): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', DIRECTORY_KEY).executeTakeFirst();
  return row?.value;
}

export function decodeDirectorySettings(raw: string, box: SecretBox): DirectorySettings {
  const stored = JSON.parse(raw) as DirectorySettings;
  return validateSettings({ ...stored, connection: { ...stored.connection, password: box.open(stored.connection.password) } });
}

/**
 * Validates settings whose password may be left out: the password is write-only (never shown), so an absent one
 * means "keep the stored password".
 */
export async function validateKeepingStoredPassword(db: Executor, box: SecretBox, input: unknown): Promise<DirectorySettings> {
  const settings = structuredClone(input) as { connection?: { password?: unknown } } | null;
  if (settings && typeof settings === 'object' && settings.connection && typeof settings.connection === 'object' && settings.connection.password === undefined) {
    const current = await loadDirectorySettings(db, box).catch(() => undefined);
    if (current) settings.connection.password = current.connection.password;
  }
  return validateSettings(settings);
}

/** A fingerprint of the settings (password excluded), recorded with every run to tell configurations apart. */
export function settingsFingerprint(settings: DirectorySettings): string {
  const { password: _password, ...connection } = settings.connection;
  return createHash('sha256')
    .update(JSON.stringify({ ...settings, connection }))
    .digest('hex')
    .slice(0, 16);
}

/** Settings as they may be shown: the password replaced by whether one is set. */
export function redactSettings(
  settings: DirectorySettings,
): Omit<DirectorySettings, 'connection'> & { connection: Omit<DirectorySettings['connection'], 'password'> & { passwordSet: boolean } } {
  const { password, ...connection } = settings.connection;
  return { ...settings, connection: { ...connection, passwordSet: password.length > 0 } };
}
