/**
 * What the use cases of the administration need from the running application: the store, the scheduler to reload
 * after settings change and the metrics a run updates. `RosterApp` (src/app.ts) is one; the CLI builds its own.
 */
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';

export interface AdminContext {
  readonly store: Store;
  readonly metrics?: Pick<Metrics, 'syncFinished'>;
  readonly scheduler?: { reload(): Promise<void> };
}
