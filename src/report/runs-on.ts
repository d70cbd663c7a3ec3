// How a report names what ran: the core build and the threads, as
// Runtime.describe() starts (without the engine's features).

/** "simd build, 2 threads" / "scalar build, 1 thread". */
export function buildAndThreads(build: string, threads: number): string {
  return `${build} build, ${threads} thread${threads === 1 ? '' : 's'}`;
}
