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
