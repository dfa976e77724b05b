/**
 * The local users a plan needs. Users whose sync digest matches an entry's are found unchanged without loading
 * them (a no-change re-sync of 100,000 users then loads 100,000 numbers, not 300,000 strings); the others are
 * loaded and compared field by field.
 */
import type { DirectoryUser } from '../snapshot.js';
import type { LocalUser } from '../model.js';
import { loadDigestSeed, storedDigests, usersForPlanning, type Executor } from '../store/users.js';
import { digestsOf, matchDigests } from './digest-match.js';
import type { KnownDigests } from './plan.js';

/**
 * Beyond this many stored users not matched by digest, all users are loaded in one pass instead of by their ids
 * (after a change of settings that renames every user, say).
 */
const MAX_LOADED_BY_ID = 5000;

export async function localUsersForPlan(
  db: Executor,
  users: readonly DirectoryUser[],
  maxLoadedById = MAX_LOADED_BY_ID,
): Promise<{ localUsers: LocalUser[]; digests?: KnownDigests }> {
  const seed = await loadDigestSeed(db);
  if (!seed) return { localUsers: await usersForPlanning(db) };
  const of = digestsOf(users, seed);
  const match = matchDigests(of, await storedDigests(db));
  if (match.unmatchedIds.length > maxLoadedById) return { localUsers: await usersForPlanning(db), digests: { of } };
  return {
    localUsers: await usersForPlanning(db, match.unmatchedIds),
    digests: { of, unchanged: match.unchanged, unchangedCount: match.unchangedCount },
  };
}
