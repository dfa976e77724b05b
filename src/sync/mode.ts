/**
 * Whether a run reads only what changed (incremental) or the whole directory (full), and why a full run is full.
 * Pure: the caller gathers what it depends on (the stored change-tracking state, the settings, the server's
 * capabilities) so that every reason can be unit-tested and is reported the same way in the run and its record.
 */
import { changeTrackingOptions, type DirectorySettings } from '../config/schema.js';
import type { FullRunReason } from '../store/runs.js';

/** What Roster kept from the last run that could be continued incrementally (store/sync-state). */
export interface ChangeTrackingState {
  /** The settings fingerprint the tracking state was taken with: other settings select other entries. */
  readonly settingsFingerprint: string;
  /** When the last full run committed (ISO time). */
  readonly lastFullRunAt: string;
}

export interface RunModeInputs {
  readonly settings: DirectorySettings;
  readonly settingsFingerprint: string;
  /** `roster directory sync --full`, `POST /api/directory/sync?full=true`. */
  readonly forcedFull: boolean;
  /** Whether Roster can follow this server's changes (RFC 4533 content sync, AD uSNChanged). */
  readonly serverCanTrackChanges: boolean;
  readonly state: ChangeTrackingState | undefined;
  readonly now: Date;
}

export type RunModeDecision = { readonly mode: 'incremental' } | { readonly mode: 'full'; readonly reason: FullRunReason };

export function decideRunMode(inputs: RunModeInputs): RunModeDecision {
  const full = (reason: FullRunReason): RunModeDecision => ({ mode: 'full', reason });
  if (inputs.forcedFull) return full('forced');
  const { incremental, fullSyncEveryMs } = changeTrackingOptions(inputs.settings);
  if (!incremental) return full('disabled');
  if (!inputs.serverCanTrackChanges) return full('server-cannot');
  if (!inputs.state) return full('first-run');
  if (inputs.state.settingsFingerprint !== inputs.settingsFingerprint) return full('settings-changed');
  // A clock that went backwards makes the age negative: that is no reason to trust the tracking longer.
  const age = inputs.now.getTime() - Date.parse(inputs.state.lastFullRunAt);
  if (!(age >= 0 && age < fullSyncEveryMs)) return full('periodic');
  return { mode: 'incremental' };
}

/** The administrator's words for each reason, in reports and the console. */
export const FULL_RUN_REASON_TEXT: Readonly<Record<FullRunReason, string>> = {
  'first-run': 'first run: there is no change-tracking state to continue from',
  'settings-changed': 'the directory settings changed since the change-tracking state was taken',
  'cookie-refused': 'the server refused the stored change-tracking cookie',
  'server-cannot': "Roster cannot follow this directory server's changes",
  forced: 'a full run was asked for',
  periodic: 'options.fullSyncEvery has passed since the last full run',
  disabled: 'options.incremental is false',
  preview: 'Test settings always reads the whole directory',
};
