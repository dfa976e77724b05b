/** The snapshot types live in src/snapshot.ts (shared with store/ and sync/); re-exported for existing imports. */
export type * from '../snapshot.js';
