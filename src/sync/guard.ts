/**
 * Guards between plan and apply. Each refuses the whole run: a directory that answers "nobody" or loses
 * half its users is far more often broken (wrong filter, unreachable subtree, expired service account)
 * than really emptied.
 */
import type { DirectorySettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import type { SyncPlan } from './plan.js';

const DEFAULT_PERCENT = 10;
const DEFAULT_MINIMUM = 10;

/** How many deletions the settings allow for a directory of `directoryUsers`. */
export function deletionLimit(settings: DirectorySettings, directoryUsers: number): { limit: number; rule: string } {
  const configured = settings.options.maxDeletions;
  if (typeof configured === 'number') return { limit: configured, rule: `options.maxDeletions is ${configured}` };
  if (typeof configured === 'string') {
    const percent = Number(configured.slice(0, -1));
    return { limit: Math.floor((directoryUsers * percent) / 100), rule: `options.maxDeletions is ${configured} of ${directoryUsers} directory users` };
  }
  return {
    limit: Math.max(DEFAULT_MINIMUM, Math.floor((directoryUsers * DEFAULT_PERCENT) / 100)),
    rule: `the default allows up to ${DEFAULT_PERCENT}% of ${directoryUsers} directory users or ${DEFAULT_MINIMUM} users, whichever is more`,
  };
}

export interface GuardOptions {
  /** `--allow-mass-delete`: pass the deletion threshold for this one run. */
  allowMassDelete?: boolean;
}

/**
 * Users this run deletes or marks pending deletion: marking is where a broken read would do its harm (every user
 * disabled at once), so it counts as a deletion. Users marked by an earlier run were counted by that run's guard.
 */
export function countedDeletions(plan: SyncPlan): number {
  let count = plan.scheduled.length;
  for (const removal of plan.deleted) if (!removal.wasPending) count++;
  return count;
}

export function checkPlan(plan: SyncPlan, usersInScope: number, settings: DirectorySettings, options: GuardOptions = {}): void {
  if (usersInScope === 0 && plan.directoryUsersBefore > 0) {
    throw new RosterError(
      'SYNC_EMPTY_READ',
      `The directory returned no user in scope while Roster has ${plan.directoryUsersBefore} directory users; nothing was changed. Check the base DN, the user filter and the group selection with "Test settings".`,
    );
  }
  const { limit, rule } = deletionLimit(settings, plan.directoryUsersBefore);
  const deletions = countedDeletions(plan);
  if (deletions > limit && !options.allowMassDelete) {
    throw new RosterError(
      'SYNC_DELETE_GUARD',
      `The run would delete ${deletions} users (or disable them pending deletion), more than allowed (${rule}); nothing was changed. Check the preview with "Test settings", then raise options.maxDeletions or run once with --allow-mass-delete.`,
      { details: { deletions, limit } },
    );
  }
}
