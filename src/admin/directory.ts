/**
 * The manual's "Directory Services" as use cases shared by the API, the console and the CLI: the stored settings,
 * "Test settings" and "Synchronize now".
 */
import type { DirectorySettings } from '../config/schema.js';
import type { ReadProgress } from '../directory/snapshot.js';
import { RosterError } from '../errors.js';
import { loadDirectorySettings, redactSettings, saveDirectorySettings, validateKeepingStoredPassword } from '../store/settings.js';
import type { Store } from '../store/store.js';
import type { SyncReport } from '../sync/report.js';
import { previewSync, runSync, type SyncOptions } from '../sync/run.js';
import { syncOneUser } from '../sync/single.js';
import type { AdminContext } from './context.js';

export { redactSettings };

export async function storedSettings(store: Store): Promise<DirectorySettings> {
  const settings = await loadDirectorySettings(store.db, store.secrets);
  if (!settings)
    throw new RosterError(
      'DIRECTORY_NOT_CONFIGURED',
      'No directory settings are stored yet; store them in Directory Services, with PUT /api/directory/settings or `roster directory set FILE`.',
    );
  return settings;
}

/** The stored settings, or undefined when there are none or they cannot be read (the console's empty form). */
export async function storedSettingsIfAny(store: Store): Promise<DirectorySettings | undefined> {
  return loadDirectorySettings(store.db, store.secrets).catch(() => undefined);
}

/** Settings from a request: an absent or empty password (an untouched form field) keeps the stored one. */
export async function settingsFromInput(store: Store, input: unknown): Promise<DirectorySettings> {
  const body = structuredClone(input) as { connection?: { password?: unknown } } | null;
  if (body?.connection?.password === '') delete body.connection.password;
  return validateKeepingStoredPassword(store.db, store.secrets, body);
}

/** Validates and stores settings; the schedule follows them at once. */
export async function saveSettings(context: AdminContext, input: unknown): Promise<DirectorySettings> {
  const settings = await settingsFromInput(context.store, input);
  await saveDirectorySettings(context.store.db, context.store.secrets, settings);
  await context.scheduler?.reload();
  return settings;
}

/** "Test settings": the given settings (validated, keeping the stored password), or the stored ones. */
export async function testSettings(store: Store, input: unknown, onProgress?: (progress: ReadProgress) => void): Promise<SyncReport> {
  const given = input !== null && typeof input === 'object' && Object.keys(input).length > 0;
  const settings = given ? await settingsFromInput(store, input) : await storedSettings(store);
  return previewSync(store, settings, onProgress);
}

/**
 * "Synchronize now" with the stored settings, or with `user` only that user's change (sync/single.ts); the metrics
 * count it as committed or refused.
 */
export async function syncNow(context: AdminContext, options: SyncOptions & { user?: string }): Promise<SyncReport> {
  const started = Date.now();
  const user = options.user?.trim();
  if (options.user !== undefined && (!user || user.length > 256 || /[\u0000-\u001f\u007f]/.test(user))) {
    throw new RosterError('INPUT_INVALID', 'user: a user name of 1 to 256 characters without control characters', {
      details: [{ path: 'user', message: 'must be 1 to 256 characters without control characters' }],
    });
  }
  try {
    const settings = await storedSettings(context.store);
    const report = user ? await syncOneUser(context.store, settings, user, options) : await runSync(context.store, settings, options);
    context.metrics?.syncFinished('committed', (Date.now() - started) / 1000);
    return report;
  } catch (error) {
    context.metrics?.syncFinished('refused', (Date.now() - started) / 1000);
    throw error;
  }
}
