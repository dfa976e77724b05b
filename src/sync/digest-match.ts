/** Recognizing unchanged users by their sync digest (src/digest.ts) before anything else of theirs is loaded. */
import { digester, type DigestSeed, type DigestedUser, type StoredDigests } from '../digest.js';

export function digestsOf(users: readonly DigestedUser[], seed: DigestSeed): Float64Array {
  const digests = new Float64Array(users.length);
  const digest = digester(seed);
  for (let index = 0; index < users.length; index++) digests[index] = digest(users[index]!);
  return digests;
}

export interface DigestMatch {
  /** 1 at the position of each entry whose stored user has the same digest: that user is found and unchanged. */
  unchanged: Uint8Array;
  unchangedCount: number;
  /** Ids of the stored digests no entry matched (changed, renamed, gone or written with another seed). */
  unmatchedIds: number[];
}

/**
 * Pairs entries and stored users with equal digests. A server answers the same search in the same order and users
 * are stored in the order a first sync read them, so the stored digest after the last match is tried first; a map of
 * digests is built only when that fails.
 */
export function matchDigests(entryDigests: Float64Array, stored: StoredDigests): DigestMatch {
  const unchanged = new Uint8Array(entryDigests.length);
  const taken = new Uint8Array(stored.digests.length);
  let byDigest: Map<number, number> | undefined;
  let cursor = 0;
  let unchangedCount = 0;
  for (let entry = 0; entry < entryDigests.length; entry++) {
    const digest = entryDigests[entry]!;
    let position: number | undefined = cursor < stored.digests.length && taken[cursor] === 0 && stored.digests[cursor] === digest ? cursor : undefined;
    if (position === undefined) {
      if (!byDigest) {
        byDigest = new Map();
        // The first of equal digests wins; a second one is left unmatched and compared field by field.
        for (let index = stored.digests.length - 1; index >= 0; index--) byDigest.set(stored.digests[index]!, index);
      }
      const found = byDigest.get(digest);
      if (found !== undefined && taken[found] === 0) position = found;
    }
    if (position === undefined) continue;
    taken[position] = 1;
    unchanged[entry] = 1;
    unchangedCount++;
    cursor = position + 1;
  }
  const unmatchedIds: number[] = [];
  for (let index = 0; index < taken.length; index++) if (taken[index] === 0) unmatchedIds.push(stored.ids[index]!);
  return { unchanged, unchangedCount, unmatchedIds };
}
