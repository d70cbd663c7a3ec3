// The worker threads of one threaded runtime. Each worker instantiates the
// same compiled core on the runtime's shared memory and runs the slices of
// parallel calls (assembly/threads.ts); the calling thread runs slice 0 and
// waits in the core, so kernel calls stay synchronous. Workers start once,
// before the runtime is handed out (an instance writes its data segments
// into the shared memory when it is created, so none may start while the
// arena is in use), and end with dispose(). In Node they are unref'd: a
// process that used wasmgrad exits by itself.

import { ThreadError, firstLine } from '../errors.js';

// Control block words (assembly/threads.ts).
const GENERATION = 0, STOP = 3;
const START_TIMEOUT_MS = 60_000;
const STATUS_BYTES = 4 + 2 * 512;

interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

export class WorkerPool {
  private stopped = false;

  private constructor(
    private readonly workers: readonly WorkerHandle[],
    private readonly control: Int32Array,
    private readonly status: SharedArrayBuffer,
  ) {}

  /** Starts `threads - 1` workers on `memory` and resolves once every one is ready. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, controlAddress: number, threads: number): Promise<WorkerPool> {
    const status = new SharedArrayBuffer(STATUS_BYTES);
    const workers: WorkerHandle[] = [];
    try {
      const ready: Promise<void>[] = [];
      for (let index = 1; index < threads; index++) {
        const { worker, started } = await spawn(index);
        workers.push(worker);
        ready.push(started);
        worker.postMessage({ module, memory, index, status });
      }
      await Promise.all(ready);
    } catch (e) {
      // Ended before the runtime is used: a worker still instantiating would rewrite the memory's data segments.
      await Promise.all(workers.map((w) => w.terminate()));
      throw e instanceof ThreadError ? e : new ThreadError(`threads: a worker could not start (${firstLine(e)})`);
    }
    return new WorkerPool(workers, new Int32Array(memory.buffer, controlAddress, 8), status);
  }

  get size(): number {
    return this.workers.length + 1;
  }

  /** The message a failed worker left in the status buffer. */
  failureMessage(): string {
    const n = new Int32Array(this.status, 0, 1)[0]!;
    return String.fromCharCode(...new Uint16Array(this.status, 4, n));
  }

  /** Ends the workers (they leave their loop; terminate() covers one that is stuck). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const w of this.workers) void w.terminate();
  }
}

// Not the literal form: bundlers leave the Node path alone (the browser path below is the one they rewrite).
const WORKER_SCRIPT = './worker.js';

/** One worker, and a promise that settles when it reports ready or fails. */
async function spawn(index: number): Promise<{ worker: WorkerHandle; started: Promise<void> }> {
  let settle!: (error?: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => settle(new ThreadError(`threads: worker ${index} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    settle = (error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
  });
  const onMessage = (m: { ready?: boolean; error?: string }) =>
    settle(m.ready ? undefined : new ThreadError(`threads: worker ${index} could not instantiate the core (${m.error})`));
  const onError = (e: unknown) => settle(new ThreadError(`threads: worker ${index} failed (${firstLine(e)})`));
  if (isNode()) {
    const { Worker } = (await import(/* @vite-ignore */ nodeWorkerThreads)) as typeof import('node:worker_threads');
    // The process's own flags, less those that only make sense for its main script.
    const worker = new Worker(new URL(WORKER_SCRIPT, import.meta.url), { execArgv: process.execArgv.filter((a) => !/^--(input-type|eval|print)\b/.test(a)) });
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', (code) => settle(new ThreadError(`threads: worker ${index} exited with code ${code}`)));
    worker.unref();
    return { worker, started };
  }
  // The literal form bundlers (Vite, webpack, esbuild) recognise: they emit worker.js with the bundle and point this URL at it.
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => onMessage(e.data);
  worker.onerror = (e) => onError(e.message);
  return { worker, started };
}

const nodeWorkerThreads = 'node:worker_threads';

export function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node !== undefined && typeof window === 'undefined';
}
