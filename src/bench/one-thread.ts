// The one-thread runtime a benchmark times wasmgrad on next to the runtime's
// N threads, so a run shows the speedup threads give on this machine.

import { ArgumentError } from '../errors.js';
import { init, type Runtime } from '../runtime.js';

/** `rt` itself when it runs one thread; else `given` (checked) or a one-thread runtime of rt's build. */
export async function oneThreadRuntime(rt: Runtime, given: Runtime | undefined): Promise<Runtime> {
  if (rt.threads === 1) return rt;
  const single = given ?? (await init({ build: rt.build, threads: 1 }));
  if (single.threads !== 1 || single.build !== rt.build) {
    throw new ArgumentError(`oneThread must be a one-thread runtime of the ${rt.build} build, got the ${single.build} build on ${single.threads} threads`, { field: 'oneThread' });
  }
  return single;
}
