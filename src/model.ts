/** The user of DESIGN §1, as the store keeps it and every layer above sees it. */
import type { ArchiveAccess, Privilege } from './config/schema.js';

export type UserSource = 'directory' | 'manual';
export type AuthenticationMethod = 'directory' | 'local';

export interface User {
  userName: string;
  fullName: string;
  emailAddresses: string[];
  source: UserSource;
  authentication: AuthenticationMethod;
  disabled: boolean;
  privileges: Privilege[];
  archiveAccess: ArchiveAccess[];
  /** Directory users: the entry's DN and stable id (see DirectoryUser.stableId). */
  dn: string | null;
  stableId: string | null;
}

export function userNameKey(userName: string): string {
  return userName.trim().toLowerCase();
}

/** The fields a sync keeps in step with the directory, besides the name and the stable id it matches on. */
export interface SyncedFields {
  fullName: string;
  emailAddresses: string[];
  dn: string | null;
  disabled: boolean;
}

/**
 * The synced fields as one string, stored with each directory user: a re-sync then loads and compares one
 * string per user instead of every field, and decodes it only for the users whose entry changed.
 */
export function syncedImage(fields: SyncedFields): string {
  return JSON.stringify([fields.fullName, fields.emailAddresses, fields.dn, fields.disabled]);
}

/** Characters JSON.stringify writes escaped (and lone surrogates, which it writes as \u escapes). */
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Whether `image` is syncedImage(fields), without building it: a no-change re-sync asks this of 100,000 users.
 * Values that JSON would escape are left to the plain comparison.
 */
export function syncedImageMatches(image: string, fields: SyncedFields): boolean {
  const { fullName, emailAddresses, dn, disabled } = fields;
  if (JSON_ESCAPED.test(fullName) || (dn !== null && JSON_ESCAPED.test(dn)) || emailAddresses.some((address) => JSON_ESCAPED.test(address))) {
    return image === syncedImage(fields);
  }
  let at = 0;
  const next = (text: string): boolean => {
    if (!image.startsWith(text, at)) return false;
    at += text.length;
    return true;
  };
  if (!next('["') || !next(fullName) || !next('",[')) return false;
  for (let index = 0; index < emailAddresses.length; index++) {
    if (!next(index === 0 ? '"' : ',"') || !next(emailAddresses[index]!) || !next('"')) return false;
  }
  if (!next('],') || !(dn === null ? next('null') : next('"') && next(dn) && next('"'))) return false;
  return next(disabled ? ',true]' : ',false]') && at === image.length;
}

/**
 * A stored user as the planner needs it: the synced fields either packed in `syncedImage` (decoded only when the
 * planner needs them; only directory users have one, so their source is implied) or as fields.
 */
export type LocalUser = Pick<User, 'userName' | 'stableId'> & ({ syncedImage: string; source?: 'directory' } | (SyncedFields & { syncedImage?: null; source: User['source'] }));

/** A local user's synced fields, decoded from the packed image when that is what the store loaded. */
export function syncedFieldsOf(user: LocalUser): SyncedFields {
  return typeof user.syncedImage === 'string' ? fromSyncedImage(user.syncedImage) : (user as SyncedFields);
}

export function fromSyncedImage(image: string): SyncedFields {
  const [fullName, emailAddresses, dn, disabled] = JSON.parse(image) as [string, string[], string | null, boolean];
  return { fullName, emailAddresses, dn, disabled };
}
