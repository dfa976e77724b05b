/**
 * What logins need of the directory: the current settings, a connection pool built from them, and the base DN.
 * Rebuilt when the stored settings change (the server keeps one of these for its lifetime).
 */
import type { DirectorySettings } from '../config/schema.js';
import { LdapPool } from '../ldap/pool.js';
import { detectBaseDn } from '../ldap/rootdse.js';
import { createHash } from 'node:crypto';
import { decodeDirectorySettings, loadRawDirectorySettings } from '../store/settings.js';
import type { Store } from '../store/store.js';

export interface DirectoryAccess {
  settings: DirectorySettings;
  pool: LdapPool;
  baseDn(): Promise<string>;
}

export class DirectoryAccessProvider {
  private current: { fingerprint: string; settings: DirectorySettings; access: DirectoryAccess } | undefined;

  constructor(private readonly store: Store) {}

  private decoded: { raw: string; settings: DirectorySettings } | undefined;
  private checkedAt = 0;

  /** The stored settings; decrypted and validated again only when the stored text changed. */
  async settings(): Promise<DirectorySettings | undefined> {
    // Logins read the settings on every attempt; a second-old copy saves a query each, and a change made by
    // another process (the CLI) still takes effect within a second.
    if (this.decoded && Date.now() - this.checkedAt < 1000) return this.decoded.settings;
    this.checkedAt = Date.now();
    const raw = await loadRawDirectorySettings(this.store.db);
    if (raw === undefined) {
      this.decoded = undefined;
      return undefined;
    }
    if (this.decoded?.raw !== raw) this.decoded = { raw, settings: decodeDirectorySettings(raw, this.store.secrets) };
    return this.decoded.settings;
  }

  /** The access for the stored settings; undefined when no directory is configured. */
  async get(settings?: DirectorySettings): Promise<DirectoryAccess | undefined> {
    const current = settings ?? (await this.settings());
    if (!current) return undefined;
    if (this.current?.settings === current) return this.current.access;
    // In memory only, so the password may take part: a changed password must give a new pool.
    const fingerprint = createHash('sha256').update(JSON.stringify(current)).digest('hex');
    if (this.current?.fingerprint === fingerprint) return this.current.access;
    await this.current?.access.pool.close();
    const pool = new LdapPool(current.connection);
    let baseDn: Promise<string> | undefined;
    const access: DirectoryAccess = {
      settings: current,
      pool,
      baseDn: () =>
        (baseDn ??= current.connection.baseDn
          ? Promise.resolve(current.connection.baseDn)
          : pool.withService(detectBaseDn).catch((error) => ((baseDn = undefined), Promise.reject(error)))),
    };
    this.current = { fingerprint, settings: current, access };
    return access;
  }

  async close(): Promise<void> {
    await this.current?.access.pool.close();
    this.current = undefined;
  }
}
