/**
 * The read of "Synchronize now" in the mode decideRunMode chose, with the fall-backs issue 14 asks for: a refused
 * cookie becomes a full run ("cookie-refused"), a server without content synchronization or an account whose size
 * limit stops the unpaged refresh becomes a paged full read ("server-cannot") and forgets the tracking state.
 * What the run must store with its changes (the image changes and the new cookie) comes back with the snapshot;
 * run.ts writes it in the same transaction.
 */
import type { DirectorySettings } from '../config/schema.js';
import { decodeTrackingState, encodeTrackingState, type ImageChanges } from '../directory/image.js';
import { readDirectory } from '../directory/read.js';
import type { DirectorySnapshot, ReadProgress } from '../directory/snapshot.js';
import type { ImageDelta } from '../directory/image-delta.js';
import { readDirectoryTracked, type ContinueFrom, type ImagePath, type TrackedRead } from '../directory/tracked-read.js';
import { isRosterError } from '../errors.js';
import { hasPendingDeletions, loadImage, loadImageEntries, loadImageUuids, localUsersMark, type StoredTracking } from '../store/change-tracking.js';
import type { Store } from '../store/store.js';
import { correctionsOf, correctionsWarning, type Corrections } from './corrections.js';
import { deltaPreconditions } from './delta-run.js';
import type { RunModeDecision } from './mode.js';
import type { RunSummary } from './unchanged-run.js';

/** The stored tracking row without what run.ts adds at commit (the users' mark and the report's summary). */
export type TrackingToSave = Omit<StoredTracking, 'localMark' | 'summary'>;

export type TrackingUpdate =
  | { readonly kind: 'save'; readonly changes: ImageChanges; readonly tracking: TrackingToSave }
  /** The run read without tracking: a stored state would be continued from later as if nothing had happened. */
  | { readonly kind: 'clear' }
  | { readonly kind: 'none' };

export type RunRead = ChangedRead | UnchangedRead;

/**
 * Nothing changed in the directory since the last run, and Roster's users are as that run left them: a full run
 * would change nothing, so the run records itself with the last run's summary instead of planning 100,000 users.
 */
export interface UnchangedRead {
  readonly unchanged: true;
  readonly mode: RunModeDecision;
  readonly tracking: Extract<TrackingUpdate, { kind: 'save' }>;
  readonly stored: StoredTracking;
}

export interface ChangedRead {
  readonly unchanged?: false;
  readonly snapshot: DirectorySnapshot;
  readonly mode: RunModeDecision;
  readonly tracking: TrackingUpdate;
  /** What the change tracking reported (incremental runs): entries changed and deleted. */
  readonly entryChanges?: { readonly changed: number; readonly deleted: number };
  /** A periodic full run: what the tracking had missed. */
  readonly corrections?: Corrections;
  /** Incremental runs: whether only the affected entries were computed (`delta`), or why the whole image was. */
  readonly imagePath?: ImagePath;
  /** With `imagePath.path === 'delta'`: the affected entries; `snapshot` lists only them (sync/delta-run.ts). */
  readonly delta?: ImageDelta;
}

export interface ReadForRunInput {
  readonly store: Store;
  readonly settings: DirectorySettings;
  readonly settingsFingerprint: string;
  readonly decision: RunModeDecision;
  readonly stored: StoredTracking | undefined;
  readonly started: Date;
  readonly onProgress?: (progress: ReadProgress) => void;
  /** Compute the whole image even where the delta path could run, for this reason (the planner could not settle it). */
  readonly wholeImage?: string;
}

const NO_IMAGE_CHANGES: ImageChanges = { replace: false, users: { upserts: [], deletes: [] }, groups: { upserts: [], deletes: [] } };

const SIZE_LIMIT_WARNING =
  'change tracking is off for this directory: the content-synchronization search cannot be paged and the size limit of connection.administrativeDn stopped it; raise that limit (OpenLDAP: limits ... size=unlimited) for incremental runs';

async function untracked(input: ReadForRunInput, mode: RunModeDecision, warning?: string): Promise<ChangedRead> {
  const snapshot = await readDirectory(input.settings, { onProgress: input.onProgress });
  if (warning) snapshot.warnings.push(warning);
  return { snapshot, mode, tracking: input.stored ? { kind: 'clear' } : { kind: 'none' } };
}

function saved(input: ReadForRunInput, read: Extract<TrackedRead, { unchanged: false }>, mode: RunModeDecision): ChangedRead {
  const lastFullRunAt = mode.mode === 'full' ? input.started.toISOString() : input.stored!.lastFullRunAt;
  return {
    snapshot: read.snapshot,
    mode,
    tracking: { kind: 'save', changes: read.changes, tracking: { settingsFingerprint: input.settingsFingerprint, state: encodeTrackingState(read.state), lastFullRunAt } },
    ...(mode.mode === 'incremental' ? { entryChanges: read.counts } : {}),
    ...(read.imagePath ? { imagePath: read.imagePath } : {}),
    ...(read.delta ? { delta: read.delta } : {}),
  };
}

async function fullTracked(input: ReadForRunInput, mode: Extract<RunModeDecision, { mode: 'full' }>): Promise<ChangedRead> {
  const read = await readDirectoryTracked(input.settings, { onProgress: input.onProgress });
  if (!read.supported || read.unchanged) return untracked(input, mode.reason === 'forced' ? mode : { mode: 'full', reason: 'server-cannot' });
  return saved(input, read, mode);
}

function continueFrom(input: ReadForRunInput, partial?: RunSummary): ContinueFrom {
  const db = input.store.db;
  return {
    state: decodeTrackingState(input.stored!.state),
    loadImage: (kind) => loadImage(db, kind),
    ...(partial
      ? {
          partial: {
            loadUsers: (keys) => loadImageEntries(db, 'user', keys),
            loadUserUuids: () => loadImageUuids(db, 'user'),
            unresolvedMemberKeys: new Set(partial.unresolvedMemberKeys),
          },
        }
      : {}),
  };
}

/**
 * The periodic full run: first where the tracking has got to (an incremental read, which commits nothing), then
 * the full read that the run uses; their difference is what it corrects.
 */
async function periodic(input: ReadForRunInput, mode: Extract<RunModeDecision, { mode: 'full' }>): Promise<ChangedRead> {
  const tracked = await readDirectoryTracked(input.settings, { continueFrom: continueFrom(input) }).catch(() => undefined);
  const read = await fullTracked(input, mode);
  if (!tracked?.supported || tracked.unchanged) return read;
  const corrections = correctionsOf(tracked.snapshot, read.snapshot);
  const warning = correctionsWarning(corrections);
  if (warning) read.snapshot.warnings.push(warning);
  return { ...read, corrections };
}

/** Reads the directory for a run; any failure other than the fall-backs propagates (the run reads as incomplete). */
export async function readForRun(input: ReadForRunInput): Promise<RunRead> {
  const { decision } = input;
  if (decision.mode === 'full' && decision.reason === 'disabled') return untracked(input, decision);
  try {
    if (decision.mode === 'full') return await (decision.reason === 'periodic' && input.stored ? periodic(input, decision) : fullTracked(input, decision));
    try {
      const stored = input.stored!;
      // A grace period can fall due while nothing changes in the directory: with a user pending deletion, plan.
      const usersUnchanged = (await localUsersMark(input.store.db)) === stored.localMark;
      const pendingDeletions = await hasPendingDeletions(input.store.db);
      const skipIfUnchanged = usersUnchanged && !pendingDeletions;
      const summary = JSON.parse(stored.summary) as RunSummary;
      const wholeImage = input.wholeImage ?? deltaPreconditions(summary, usersUnchanged, pendingDeletions);
      const read = await readDirectoryTracked(input.settings, {
        continueFrom: continueFrom(input, wholeImage === undefined ? summary : undefined),
        skipIfUnchanged,
        onProgress: input.onProgress,
      });
      if (!read.supported) return untracked(input, { mode: 'full', reason: 'server-cannot' });
      if (read.unchanged) {
        const tracking = { settingsFingerprint: input.settingsFingerprint, state: encodeTrackingState(read.state), lastFullRunAt: stored.lastFullRunAt };
        return { unchanged: true, mode: decision, stored, tracking: { kind: 'save', changes: NO_IMAGE_CHANGES, tracking } };
      }
      return saved(input, wholeImage === undefined ? read : { ...read, imagePath: { path: 'whole-image', reason: wholeImage } }, decision);
    } catch (error) {
      if (!isRosterError(error, 'SYNC_COOKIE_REFUSED')) throw error;
      return await fullTracked(input, { mode: 'full', reason: 'cookie-refused' });
    }
  } catch (error) {
    if (!isRosterError(error, 'LDAP_SIZE_LIMIT')) throw error;
    return untracked(input, decision.mode === 'full' && decision.reason === 'forced' ? decision : { mode: 'full', reason: 'server-cannot' }, SIZE_LIMIT_WARNING);
  }
}
