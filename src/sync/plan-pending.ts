/**
 * The grace period of options.deleteAfter (pure, part of the planner): a directory user who left the scope is
 * deleted at once when there is none; otherwise disabled and marked pending by the first run that misses it, and
 * deleted by the first run after the period. A user back in scope meanwhile is restored (plan.ts).
 */
import type { PlannedRemoval, SyncPlan } from './plan.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Where a user who left the scope goes, with options.deleteUsers on. */
export function placeRemoval(plan: SyncPlan, removal: PlannedRemoval, pendingSince: string | null, graceMs: number, now: Date | undefined): void {
  if (pendingSince === null) {
    if (graceMs === 0) plan.deleted.push(removal);
    else plan.scheduled.push({ ...removal, since: now ? now.toISOString() : null, deleteAt: now ? iso(now.getTime() + graceMs) : null });
    return;
  }
  const sinceMs = Date.parse(pendingSince);
  const deleteAtMs = sinceMs + graceMs;
  // Without a clock only a grace period of "0" (set after the user was marked) has passed.
  const passed = graceMs === 0 || (now !== undefined && deleteAtMs <= now.getTime());
  if (passed) plan.deleted.push({ ...removal, reason: `${removal.reason}; pending deletion since ${pendingSince}, grace period over`, wasPending: true });
  else plan.pending.push({ ...removal, since: pendingSince, deleteAt: iso(deleteAtMs) });
}
