/**
 * Sync digests: a number per directory user that stands for everything a sync compares (stable id, user name and
 * the synced fields). Stored with each user, they let a re-sync recognize its unchanged users by loading one number
 * each instead of their names, stable ids and synced fields: on 100,000 users that load and the garbage it made were
 * a fifth of a no-change re-sync.
 *
 * The hash is keyed with a random seed kept in the database (migration 0009) and never shown, so nobody who can
 * edit their own directory entry can craft a change that keeps the old digest and goes unnoticed. 53 bits: an
 * accidental match of a changed user is about one in 10^16.
 */
import type { SyncedFields } from './model.js';

export type DigestSeed = readonly [number, number];

export type DigestedUser = SyncedFields & { userName: string; stableId: string | null };

/** The seed as stored: 16 hex digits. */
export function parseDigestSeed(text: string): DigestSeed {
  if (!/^[0-9a-f]{16}$/.test(text)) throw new Error('malformed sync digest seed');
  return [parseInt(text.slice(0, 8), 16) | 0, parseInt(text.slice(8), 16) | 0];
}

/** Two 32-bit multiply-xor lanes (the construction of cyrb53), each started from half of the seed. */
class Hasher {
  private h1 = 0;
  private h2 = 0;

  start(seed: DigestSeed): void {
    this.h1 = 0xdeadbeef ^ seed[0];
    this.h2 = 0x41c6ce57 ^ seed[1];
  }

  /** A value's length goes first, so that ("ab", "c") and ("a", "bc") differ. Two UTF-16 units per step. */
  text(value: string): void {
    const length = value.length;
    this.code(length);
    let index = 0;
    for (; index + 1 < length; index += 2) this.code(value.charCodeAt(index) | (value.charCodeAt(index + 1) << 16));
    if (index < length) this.code(value.charCodeAt(index));
  }

  code(value: number): void {
    this.h1 = Math.imul(this.h1 ^ value, 2654435761);
    this.h2 = Math.imul(this.h2 ^ value, 1597334677);
  }

  result(): number {
    let { h1, h2 } = this;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }
}

const NULL_MARK = -1;

/**
 * A function computing digests with one hasher, started afresh for each digest: a hasher per digest would be 100,000
 * objects per sync. Each caller makes its own (no hasher is shared between callers or modules).
 */
export function digester(seed: DigestSeed): (user: DigestedUser) => number {
  const hasher = new Hasher();
  return (user) => digestWith(hasher, seed, user);
}

/** One digest (tests, single users); loops use digester(). */
export function syncDigest(seed: DigestSeed, user: DigestedUser): number {
  return digestWith(new Hasher(), seed, user);
}

function digestWith(hasher: Hasher, seed: DigestSeed, user: DigestedUser): number {
  hasher.start(seed);
  if (user.stableId === null) hasher.code(NULL_MARK);
  else hasher.text(user.stableId);
  hasher.text(user.userName);
  hasher.text(user.fullName);
  hasher.code(user.emailAddresses.length);
  for (let index = 0; index < user.emailAddresses.length; index++) hasher.text(user.emailAddresses[index]!);
  if (user.dn === null) hasher.code(NULL_MARK);
  else hasher.text(user.dn);
  hasher.code(user.disabled ? 1 : 0);
  return hasher.result();
}

/** The stored digests of directory users with their row ids, in the order the database gave them. */
export interface StoredDigests {
  ids: Float64Array;
  digests: Float64Array;
}
