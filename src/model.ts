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
  privileges: readonly Privilege[];
  archiveAccess: readonly ArchiveAccess[];
  /** Directory users: the entry's DN and stable id (see DirectoryUser.stableId). */
  dn: string | null;
  stableId: string | null;
  /**
   * Directory users that left the scope while options.deleteAfter holds their deletion back: when that began
   * (ISO-8601). Such a user is disabled until it is deleted or comes back in scope. Absent or null otherwise.
   */
  pendingDeletionSince?: string | null;
}

/** The longest user name Roster accepts anywhere (API, console, CLI, login): longer input is refused before it
 * reaches the log or the database (issue #12: 1 MB names filled both). */
export const MAX_USER_NAME_LENGTH = 256;

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

/** A stored user as the planner needs it, with its sync digest when it has one (src/digest.ts). */
export type LocalUser = Pick<User, 'userName' | 'stableId' | 'source' | 'pendingDeletionSince'> & SyncedFields & { syncDigest?: number | null };
