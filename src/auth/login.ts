/**
 * Logging on (the manual's "Login with LDAP server Credentials"): synced users bind with their directory
 * password, manual users with `authentication: directory` are looked up in the directory by name, everybody
 * else has a local argon2id password. Callers learn little ("invalid user name or password"); the log says why.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LOGIN_SETTINGS, type DirectorySettings } from '../config/schema.js';
import { RosterError, isRosterError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { MAX_USER_NAME_LENGTH, userNameKey, type User } from '../model.js';
import type { Store } from '../store/store.js';
import { trustedDeviceKey } from '../store/trusted-devices.js';
import { findPasswordHash, findUser, publicUser, updateUser, type StoredUser } from '../store/users.js';
import type { DirectoryAccessProvider } from './directory-access.js';
import { bindOnce, entryExists, findEntriesByName, relocateEntry, type BindOutcome } from './directory-bind.js';
import { MAX_PASSWORD_LENGTH, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { noteFailure, noteSuccess, noteUncounted, reserveAttempts, throttleKeys, type ThrottleTicket } from './throttle.js';

export interface LoginRequest {
  userName: string;
  password: string;
  /** Where the attempt comes from (an IP address), for throttling and the log. */
  source?: string;
  /** The device cookie of a browser that logged this user on before (auth/devices.ts), if it sent one. */
  deviceToken?: string;
}

/** Bytes a login request body may have: a 256-character name and a 1,024-character password, percent-encoded. */
export const LOGIN_BODY_LIMIT = 16 * 1024;

/**
 * The least time a refusal takes, whatever `login.failureResponseMs` says. With 0, an unknown name answered
 * 12.7 ms sooner than a directory user's wrong password (issue #12). Every refusal now does the same slow work (an
 * argon2 check) plus a little more for directory users (a bind, a lookup); measured here on two cores shared with
 * a dozen test processes, that took 100-170 ms, so with a 100 ms floor the gap still showed (up to 44 ms). 250 ms,
 * the default, covers it with room and keeps the gap under 5 ms (test/integration/security.test.ts measures it).
 */
export const MIN_FAILURE_RESPONSE_MS = 250;

type Rejection = { code: ErrorCode; reason: string; countsAsFailure: boolean };

const CALLER_MESSAGES: Partial<Record<ErrorCode, string>> = {
  AUTH_REJECTED: 'Invalid user name or password.',
  AUTH_PASSWORD_EXPIRED: 'Your password has expired; change it in the directory.',
  AUTH_MUST_CHANGE_PASSWORD: 'You must change your password in the directory before logging on.',
  AUTH_ACCOUNT_LOCKED: 'The account is locked; try again later or ask an administrator.',
  AUTH_DIRECTORY_UNAVAILABLE: 'The directory is unavailable; try again later.',
};

class Rejected extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.reason);
  }
}

function reject(reason: string, code: ErrorCode = 'AUTH_REJECTED', countsAsFailure = true): never {
  throw new Rejected({ code, reason, countsAsFailure });
}

let dummyHash: Promise<string> | undefined;

/** Costs what checking a real password costs, so unknown users cannot be told apart by timing. */
async function spendPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('roster-timing-equalizer');
  await verifyPassword(await dummyHash, password);
}

function rejectionOf(error: unknown): Rejection {
  if (error instanceof Rejected) return error.rejection;
  if (isRosterError(error, 'AUTH_ACCOUNT_LOCKED')) return { code: 'AUTH_ACCOUNT_LOCKED', reason: error.message, countsAsFailure: false };
  if (isRosterError(error, 'AUTH_DIRECTORY_UNAVAILABLE'))
    return { code: 'AUTH_DIRECTORY_UNAVAILABLE', reason: `directory unavailable: ${String((error.cause as Error | undefined)?.message ?? '')}`, countsAsFailure: false };
  return { code: 'AUTH_DIRECTORY_UNAVAILABLE', reason: `unexpected: ${(error as Error).message}`, countsAsFailure: false };
}

function isUsableName(userName: string): boolean {
  return userName !== '' && userName.length <= MAX_USER_NAME_LENGTH && !/[\u0000-\u001f\u007f-\u009f]/.test(userName);
}

/** A user name as the log shows it: bounded, so a hostile name cannot fill the log (issue #12). */
function loggedName(userName: string): string {
  return userName.length > MAX_USER_NAME_LENGTH ? `${userName.slice(0, 64)}... (${userName.length} characters)` : userName;
}

export class Authenticator {
  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryAccessProvider,
    private readonly log: Logger,
  ) {}

  async login(request: LoginRequest): Promise<User> {
    return publicUser(await this.authenticate(request));
  }

  /** As login(), with the user's row id: sessions belong to it (a rename keeps it). */
  async authenticate(request: LoginRequest): Promise<StoredUser> {
    const started = Date.now();
    const userName = request.userName.trim();
    // An unusable name is refused by check() below; it is counted against the source only, under one key, so
    // hostile names never become rows of their own.
    const nameKey = isUsableName(userName) ? userNameKey(userName) : undefined;
    const directorySettings = await this.directory.settings().catch(() => undefined);
    const settings = directorySettings?.login ?? DEFAULT_LOGIN_SETTINGS;
    const deviceKey = nameKey !== undefined && request.deviceToken ? await trustedDeviceKey(this.store.db, request.deviceToken, nameKey) : undefined;
    const keys = throttleKeys(nameKey, request.source, deviceKey);
    let ticket: ThrottleTicket | undefined;
    try {
      ticket = await reserveAttempts(this.store.db, keys, settings);
      if (ticket.delayMs > 0) await sleep(ticket.delayMs);
      const user = await this.check(userName, request.password, directorySettings);
      await noteSuccess(this.store.db, ticket);
      this.log.info({ event: 'login', userName: user.userName, source: request.source, outcome: 'success', method: user.authentication }, 'login succeeded');
      return user;
    } catch (error) {
      let rejection = rejectionOf(error);
      if (rejection.code === 'AUTH_REJECTED' && (await this.directoryIsDown(directorySettings)))
        rejection = { ...rejection, code: 'AUTH_DIRECTORY_UNAVAILABLE', reason: `${rejection.reason} (and the directory is unavailable)` };
      if (ticket) await (rejection.countsAsFailure ? noteFailure(this.store.db, ticket, settings) : noteUncounted(this.store.db, ticket));
      this.log.warn(
        { event: 'login', userName: loggedName(userName), source: request.source, outcome: 'rejected', code: rejection.code, reason: rejection.reason },
        'login refused',
      );
      const remaining = started + Math.max(MIN_FAILURE_RESPONSE_MS, settings.failureResponseMs) - Date.now();
      if (remaining > 0) await sleep(remaining);
      const message =
        rejection.code === 'AUTH_ACCOUNT_LOCKED' && isRosterError(error, 'AUTH_ACCOUNT_LOCKED')
          ? error.message
          : (CALLER_MESSAGES[rejection.code] ?? 'Invalid user name or password.');
      throw new RosterError(rejection.code, message);
    }
  }

  /** Every refusal that needs no directory happens here, before any bind. */
  private async check(userName: string, password: string, directorySettings: DirectorySettings | undefined): Promise<StoredUser> {
    if (!isUsableName(userName)) reject('invalid user name');
    if (password === '') reject('empty password');
    if (password.length > MAX_PASSWORD_LENGTH) reject('password too long');
    const user = await findUser(this.store.db, userName);
    if (!user) {
      await spendPasswordCheck(password);
      reject('unknown user');
    }
    if (user.disabled || !user.privileges.includes('login')) {
      await spendPasswordCheck(password);
      reject(user.disabled ? 'account disabled in Roster' : 'no login privilege', 'AUTH_REJECTED', false);
    }
    if (user.authentication === 'local') await this.checkLocalPassword(user, password);
    else await this.checkDirectoryPasswordLikeLocal(user, password, directorySettings);
    return user;
  }

  /**
   * While the directory is down, a directory user is told so (AUTH_DIRECTORY_UNAVAILABLE, 503); every other refusal
   * (unknown name, disabled, wrong local password) must then answer the same, or the difference lists who is a
   * directory user (issue #12). So a refusal asks the directory too (the root DSE, over the pooled service
   * connection) and becomes 503 when it does not answer.
   */
  private async directoryIsDown(settings: DirectorySettings | undefined): Promise<boolean> {
    const access = settings ? await this.directory.get(settings) : undefined;
    if (!access) return false;
    try {
      await entryExists(access, '');
      return false;
    } catch (error) {
      return isRosterError(error, 'AUTH_DIRECTORY_UNAVAILABLE');
    }
  }

  private async checkLocalPassword(user: StoredUser, password: string): Promise<void> {
    const stored = await findPasswordHash(this.store.db, user.userName);
    if (!stored) {
      await spendPasswordCheck(password);
      reject('no local password set');
    }
    if (!(await verifyPassword(stored, password))) reject('wrong local password');
    if (await needsRehash(stored)) await updateUser(this.store.db, user.userName, { passwordHash: await hashPassword(password) });
  }

  /**
   * Unknown names and local users cost an argon2 check; a refused directory password costs one too, so that every
   * refusal does the same slow work and the time cannot tell directory users apart, even when the machine is so
   * busy that argon2 takes longer than the least refusal time (measured: 310 ms against 108 ms on two cores at a
   * load of 16, without this).
   */
  private async checkDirectoryPasswordLikeLocal(user: StoredUser, password: string, settings: DirectorySettings | undefined): Promise<void> {
    try {
      await this.checkDirectoryPassword(user, password, settings);
    } catch (error) {
      await spendPasswordCheck(password);
      throw error;
    }
  }

  private async checkDirectoryPassword(user: StoredUser, password: string, settings: DirectorySettings | undefined): Promise<void> {
    const access = settings ? await this.directory.get(settings) : undefined;
    if (!access) reject('directory authentication, but no directory is configured', 'AUTH_DIRECTORY_UNAVAILABLE', false);
    let outcome: Awaited<ReturnType<typeof bindOnce>>;
    if (user.source === 'directory' && user.dn) {
      outcome = await bindOnce(access, user.dn, password);
      if (!outcome.ok && outcome.code === 'NO_ENTRY' && !(await entryExists(access, user.dn))) {
        const found = await relocateEntry(access, user.stableId, user.userName);
        if (found.length !== 1) reject(found.length === 0 ? 'directory entry not found (moved or deleted)' : 'several directory entries match');
        await updateUser(this.store.db, user.userName, { dn: found[0]! });
        user.dn = found[0]!;
        this.log.info({ event: 'login', userName: user.userName, from: user.dn, to: found[0] }, 'directory entry moved; stored DN updated');
        outcome = await bindOnce(access, found[0]!, password);
      }
    } else {
      const found = await findEntriesByName(access, user.userName);
      if (found.length !== 1) reject(found.length === 0 ? 'no directory entry has this user name' : `${found.length} directory entries have this user name`);
      outcome = await bindOnce(access, found[0]!, password);
    }
    this.requireSuccess(outcome);
  }

  private requireSuccess(outcome: BindOutcome | { ok: false; code: 'NO_ENTRY'; subcode?: string }): void {
    if (outcome.ok) return;
    if (outcome.code === 'NO_ENTRY') reject(outcome.subcode === '525' ? 'AD: no such user (525)' : 'directory rejected the password');
    reject(outcome.reason, outcome.code, outcome.countsAsFailure);
  }
}
