/**
 * Table types. Portable across SQLite and PostgreSQL: booleans are 0/1 integers, lists are JSON text,
 * timestamps are ISO-8601 text, so the same queries run on both.
 */
import type { Generated } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  user_name: string;
  /** Lower-cased user name: unique, the key of every lookup by name. */
  user_name_key: string;
  full_name: string;
  email_addresses: string;
  source: string;
  authentication: string;
  disabled: number;
  privileges: string;
  archive_access: string;
  dn: string | null;
  stable_id: string | null;
  /** Directory users: syncDigest() of the user (src/digest.ts); null when unknown (compared field by field). */
  sync_digest: number | null;
  password_hash: string | null;
  /** What a user search looks in: searchTextOf() (store/user-search.ts). */
  search_text: Generated<string>;
  created_at: string;
  updated_at: string;
  /** Directory users waiting for options.deleteAfter: when they left the scope (ISO-8601); null otherwise. */
  pending_deletion_since: Generated<string | null>;
}

export interface GroupsTable {
  dn_key: string;
  dn: string;
  name: string;
  description: string;
  selected: number;
  direct_users: number;
  direct_groups: number;
  /** The users the group lists directly, as last read: a JSON list of user name keys. */
  members: string;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface SyncRunsTable {
  id: Generated<number>;
  started_at: string;
  finished_at: string | null;
  trigger: string;
  status: string;
  error_code: string | null;
  error_message: string | null;
  settings_fingerprint: string;
  duration_ms: number;
  counts: string;
  warnings: string;
  /** "full", "incremental" or "single" (migration 0016). */
  mode: Generated<string>;
  /** Why a full run was full (FullRunReason), "user NAME" for a single-user run; null otherwise. */
  mode_reason: string | null;
  /** The instance that ran it; null for runs recorded before migration 0015. */
  instance: Generated<string | null>;
  /** JSON list of the search continuation references the read met: {url, subtree, quiet} (migration 0027). */
  unread_subtrees: Generated<string>;
}

/**
 * What an incremental run recomputes the scope from (migration 0023): every entry the user and group searches
 * returned, keyed by its RFC 4533 syncUUID, with the attributes Roster requested (JSON written by directory/).
 */
export interface DirectoryImageTable {
  /** "user" or "group": which search returned the entry. */
  kind: string;
  uuid: string;
  dn: string;
  /** Normalized `dn` (rfc/dn.ts dnKey): how a group's member value finds its entry. */
  dn_key: string;
  attributes: string;
}

/** The change-tracking state (one row, id 1), written in the transaction of the changes it covers. */
export interface ChangeTrackingTable {
  id: number;
  settings_fingerprint: string;
  /** JSON: the cookies of the user and group searches (base64) and what directory/ needs to continue. */
  state: string;
  last_full_run_at: string;
  /** localUsersMark() when the run committed: whether Roster's users changed since (store/change-tracking.ts). */
  local_mark: string;
  /** JSON written by sync/: what the last run's report said, for a run that finds nothing changed. */
  summary: string;
}

/** A run's per-user changes, in order, a page of them per row (JSON array of RunChange). */
export interface SyncRunChangePagesTable {
  run_id: number;
  page: number;
  changes: string;
  /** One letter per change (c, u, d); '' when stored without the index (run-changes.ts, migration 0018). */
  actions: Generated<string>;
  /** The changes' user names, lower-cased, one per line. */
  names: Generated<string>;
}

export interface LocksTable {
  name: string;
  owner: string;
  host: string;
  pid: number;
  expires_at: number;
  /** The holder's instance name (ROSTER_INSTANCE or host:pid) and when it took the lock (ms since the epoch). */
  instance: Generated<string>;
  acquired_at: Generated<number>;
}

/** The last tick of a schedule some instance claimed: a tick runs on the one instance whose claim moved it. */
export interface ScheduleClaimsTable {
  name: string;
  /** The tick's scheduled time, ms since the epoch. */
  tick: number;
  instance: string;
  claimed_at: number;
}

export interface LoginAttemptsTable {
  /** `user:<lower-cased name>` or `source:<address>`. */
  key: string;
  failures: number;
  first_failure_at: number;
  last_failure_at: number;
  blocked_until: number;
}

export interface SessionsTable {
  /** SHA-256 of the token: a leaked database does not hand out sessions. */
  token_hash: string;
  /** The name when the session began (for the record; sessions are found by user_id). */
  user_name_key: string;
  /** users.id: kept by renames, never reused (migration 0012). */
  user_id: number | null;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

/** Change events, a page of them per row, in commit order (store/events.ts). */
export interface EventsTable {
  seq: Generated<number>;
  /** How many events the page holds. */
  size: number;
  /** JSON array of the events (RosterEvent without its position). */
  events: string;
}

/** A webhook (store/webhooks.ts); `cursor` is the position of the last event it was sent or skipped. */
export interface WebhooksTable {
  id: Generated<number>;
  url: string;
  /** The signing secret, sealed by the secret box (store/secrets.ts). */
  secret: string;
  /** JSON list of event type patterns ("user.*", "sync.refused"); empty = every event. */
  events: string;
  created_at: string;
  cursor: number;
  /** The delivery under way: the event being retried, its attempts and when the next one is due. */
  attempts: number;
  first_failure_at: number | null;
  next_attempt_at: number;
  last_error: string | null;
  /** Which server instance delivers for this webhook, until when (ms since the epoch). */
  lease_owner: string | null;
  lease_until: number;
}

/** Events a webhook gave up on after retrying for the whole retry period, kept for the administrator to retry. */
export interface WebhookFailuresTable {
  webhook_id: number;
  event_seq: number;
  attempts: number;
  last_error: string;
  failed_at: string;
}

/** A browser that logged `user_id` on before: its cookie's SHA-256, and until when it counts (auth/devices.ts). */
export interface TrustedDevicesTable {
  token_hash: string;
  user_id: number;
  created_at: number;
  expires_at: number;
}

export interface Database {
  events: EventsTable;
  webhooks: WebhooksTable;
  webhook_failures: WebhookFailuresTable;
  trusted_devices: TrustedDevicesTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  users: UsersTable;
  groups: GroupsTable;
  settings: SettingsTable;
  sync_runs: SyncRunsTable;
  directory_image: DirectoryImageTable;
  change_tracking: ChangeTrackingTable;
  sync_run_change_pages: SyncRunChangePagesTable;
  locks: LocksTable;
  schedule_claims: ScheduleClaimsTable;
}
