import { createHash } from 'node:crypto';
import { validateSettings } from '../config/load.js';
import type { ConnectionSettings, DirectorySettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
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

/** What decides where the stored password goes and how it travels: changing any of these needs the password again. */
const PASSWORD_BOUND_FIELDS = ['server', 'protocol', 'ignoreSslWarnings', 'caCertificate'] as const satisfies ReadonlyArray<keyof ConnectionSettings>;

/**
 * Validates settings whose password may be left out: the password is write-only (never shown), so an absent one
 * means "keep the stored password", but only towards the stored server, protocol and TLS settings. Otherwise
 * anyone allowed to test settings could point them at a listener of their own and receive the password
 * (issue #12), in clear with `protocol: ldap`.
 */
export async function validateKeepingStoredPassword(db: Executor, box: SecretBox, input: unknown): Promise<DirectorySettings> {
  const settings = structuredClone(input) as { connection?: { password?: unknown } } | null;
  if (settings && typeof settings === 'object' && settings.connection && typeof settings.connection === 'object' && settings.connection.password === undefined) {
    const current = await loadDirectorySettings(db, box).catch(() => undefined);
    if (current && current.connection.password !== '') {
      settings.connection.password = current.connection.password;
      const validated = validateSettings(settings);
      const changed = PASSWORD_BOUND_FIELDS.filter((field) => JSON.stringify(validated.connection[field] ?? null) !== JSON.stringify(current.connection[field] ?? null));
      if (changed.length > 0) {
        const message = `required again because ${changed.map((field) => `connection.${field}`).join(', ')} changed: the stored password is only sent to the stored server`;
        throw new RosterError('CONFIG_INVALID', `Invalid settings: connection.password: ${message}`, { details: [{ path: 'connection.password', message }] });
      }
      return validated;
    }
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
