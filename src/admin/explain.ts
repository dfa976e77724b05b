/** "Why is this user (not) synchronized, and what would a sync do to them now?" for the CLI, the API and the console. */
import { lookUpName } from '../directory/lookup.js';
import { RosterError } from '../errors.js';
import { findUser, publicUser } from '../store/users.js';
import type { Store } from '../store/store.js';
import { explainName, type Explanation } from '../sync/explain.js';
import { readAndPlan } from '../sync/run.js';
import { storedSettings } from './directory.js';

export type { Explanation };

/**
 * Looks the name up in the directory, reads the scope and plans as "Test settings" does (the only way to say what a
 * sync would do: scope, nesting, duplicates and guards depend on the whole directory), and explains. Commits nothing.
 */
export async function explainUser(store: Store, name: string): Promise<Explanation> {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 256 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new RosterError('INPUT_INVALID', 'name: a user name of 1 to 256 characters without control characters', {
      details: [{ path: 'name', message: 'must be 1 to 256 characters without control characters' }],
    });
  }
  const settings = await storedSettings(store);
  const lookup = await lookUpName(settings, trimmed);
  const { snapshot, plan } = await readAndPlan(store, settings);
  const stored = await findUser(store.db, trimmed);
  return explainName(trimmed, lookup, snapshot, plan, stored ? publicUser(stored) : undefined);
}

/** The explanation as text (CLI). */
export function formatExplanation(explanation: Explanation): string {
  const lines = [`${explanation.name}: ${explanation.action} (${explanation.reason})`];
  const { stored, entry, groups } = explanation;
  lines.push(
    stored
      ? `  In Roster: ${stored.userName} (${stored.source}, ${stored.authentication} authentication${stored.disabled ? ', disabled' : ''})`
      : '  In Roster: no user by this name',
  );
  lines.push(
    entry
      ? `  Entry: ${entry.dn} (${entry.inScope ? 'in scope' : 'matches the user filter, outside the group selection'}${entry.disabled ? ', disabled' : ''})`
      : '  Entry: none in scope',
  );
  for (const candidate of explanation.candidates) {
    const how = candidate.resemblances.map((item) => `${item.attribute}=${item.value} (${item.resemblance})`).join(', ');
    lines.push(`  Resembling entry: ${candidate.dn}: user name '${candidate.userName}', ${candidate.matchesUserFilter ? 'matches' : 'does not match'} the user filter; ${how}`);
  }
  if (explanation.candidatesTruncated) lines.push('  (more entries resemble the name; only the first 20 are listed)');
  if (groups.selection.length) lines.push(`  Group selection: ${groups.selection.join(', ')}`);
  if (groups.direct.length) lines.push(`  Direct groups: ${groups.direct.join(', ')}`);
  for (const reached of groups.reached) lines.push(`  Reaches: ${reached.path.join(' → ')}`);
  for (const [field, change] of Object.entries(explanation.changes ?? {}))
    lines.push(`  Change: ${field}: ${JSON.stringify((change as { from: unknown }).from)} → ${JSON.stringify((change as { to: unknown }).to)}`);
  for (const warning of explanation.warnings) lines.push(`  Warning: ${warning}`);
  return lines.join('\n') + '\n';
}
