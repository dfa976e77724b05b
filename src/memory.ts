/**
 * A full garbage collection on request. A directory read leaves behind about as much garbage as it keeps
 * (parsed LDAP messages, the member index, attribute bags); collecting it before the stored users are loaded lets
 * that load reuse the space instead of growing the heap: measured on 100,000 users, the peak drops by 40 to
 * 90 MB for 70 to 90 ms. V8 offers `gc()` only behind a flag, which is switched on just long enough to fetch it.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbage(): void {
  if (!collect) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as () => void) : () => {};
    } catch {
      // Only an optimization: a runtime without the flag keeps V8's own schedule.
      collect = () => {};
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  }
  collect();
}
