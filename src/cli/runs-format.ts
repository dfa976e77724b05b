import type { RunChange, RunRecord } from '../store/runs.js';

export function formatRuns(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No synchronization has run yet.\n';
  const lines = runs.map((run) => {
    const kept = run.counts.keptUnread ? `, ${run.counts.keptUnread} kept (not read)` : '';
    const pending = run.counts.deletionScheduled || run.counts.restored ? `, ${run.counts.deletionScheduled ?? 0} pending deletion, ${run.counts.restored ?? 0} restored` : '';
    const counts = `${run.counts.created} created, ${run.counts.updated} updated, ${run.counts.deleted} deleted${pending}${kept}, ${run.counts.unchanged} unchanged`;
    const outcome = run.error ? `${run.status}: ${run.error.code}` : run.status;
    const mode = run.modeReason ? `${run.mode} (${run.modeReason})` : run.mode;
    return `#${run.id}  ${run.startedAt}  ${run.trigger.padEnd(10)}  ${outcome.padEnd(28)}  ${mode.padEnd(22)}  ${counts}  (${run.durationMs} ms)`;
  });
  return lines.join('\n') + '\n';
}

export function formatRun(run: RunRecord & { changes: RunChange[] }): string {
  const lines = [formatRuns([run]).trimEnd()];
  if (run.error) lines.push(`  ${run.error.message}`);
  for (const change of run.changes) lines.push(`  ${change.action.padEnd(8)} ${change.userName}  ${JSON.stringify(change.detail)}`);
  for (const warning of run.warnings) lines.push(`  warning: ${warning}`);
  for (const reference of run.references) lines.push(`  not read: ${reference.subtree} (referred to ${reference.url})${reference.quiet ? ', quiet' : ''}`);
  return lines.join('\n') + '\n';
}
