// The worker threads of one threaded runtime. Each worker instantiates the
// same compiled core on the runtime's shared memory and runs the slices of
// parallel calls (assembly/threads.ts); the calling thread runs slice 0 and
// waits in the core, so kernel calls stay synchronous. Workers start once,
// before the runtime is handed out (an instance writes its data segments
// into the shared memory when it is created, so none may start while the
// arena is in use), and end with dispose(). In Node they are children of
// one supervisor thread (supervisor.js), which notices a worker that ends
// while the caller waits; it is unref'd, so a process that used wasmgrad
// exits by itself.

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
    /** The supervisor in Node (ending it ends its workers), the workers in a browser. */
    private readonly handles: readonly WorkerHandle[],
    readonly size: number,
    private readonly control: Int32Array,
    private readonly status: SharedArrayBuffer,
  ) {}

  /**
   * Starts `threads - 1` workers on `memory` and resolves once every one is
   * ready. In Node they are children of one supervisor thread
   * (supervisor.js), which calls `onLost` with the reason when a worker ends
   * unasked; the runtime then runs on one thread.
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    controlAddress: number,
    threads: number,
    onLost: (reason: string) => void,
  ): Promise<WorkerPool> {
    const status = new SharedArrayBuffer(STATUS_BYTES);
    const handles: WorkerHandle[] = [];
    try {
      if (isNode()) {
        const { worker, started } = await spawn(SUPERVISOR_SCRIPT, 'the workers', onLost);
        handles.push(worker);
        worker.postMessage({ module, memory, status, threads, controlAddress });
        await started;
      } else {
        const ready: Promise<void>[] = [];
        for (let index = 1; index < threads; index++) {
          const { worker, started } = await spawn(undefined, `worker ${index}`, onLost);
          handles.push(worker);
          ready.push(started);
          worker.postMessage({ module, memory, index, status });
        }
        await Promise.all(ready);
      }
    } catch (e) {
      // Ended before the runtime is used: a worker still instantiating would rewrite the memory's data segments.
      await Promise.all(handles.map((w) => w.terminate()));
      throw e instanceof ThreadError ? e : new ThreadError(`threads: a worker could not start (${firstLine(e)})`);
    }
    return new WorkerPool(handles, threads, new Int32Array(memory.buffer, controlAddress, 8), status);
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
    for (const w of this.handles) void w.terminate();
  }
}

// Not the literal form: bundlers leave the Node path alone (the browser path below is the one they rewrite).
const SUPERVISOR_SCRIPT = './supervisor.js';

/**
 * Starts `script` in Node, or worker.js in a browser, and a promise that
 * settles when it reports ready or fails; `who` names what it starts.
 * A message after that is a worker lost (Node).
 */
async function spawn(script: string | undefined, who: string, onLost: (reason: string) => void): Promise<{ worker: WorkerHandle; started: Promise<void> }> {
  let ready = false;
  let settle!: (error?: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => settle(new ThreadError(`threads: ${who} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    settle = (error) => {
      clearTimeout(timer);
      ready = !error;
      if (error) reject(error);
      else resolve();
    };
  });
  const onMessage = (m: { ready?: boolean; error?: string; lost?: string }) => {
    if (m.lost !== undefined) return onLost(m.lost);
    if (m.ready) return settle();
    // The supervisor names the worker; a browser's worker is `who`.
    settle(new ThreadError(`threads: ${script ? m.error : `${who} could not instantiate the core (${m.error})`}`));
  };
  const onError = (e: unknown) => settle(new ThreadError(`threads: ${who} failed (${firstLine(e)})`));
  if (script) {
    const { Worker } = (await import(/* @vite-ignore */ nodeWorkerThreads)) as typeof import('node:worker_threads');
    // The process's own flags, less those that only make sense for its main script; the workers inherit them.
    const worker = new Worker(new URL(script, import.meta.url), { execArgv: process.execArgv.filter((a) => !/^--(input-type|eval|print)\b/.test(a)) });
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', (code) => (ready ? onLost(`the supervisor of the workers exited with code ${code}`) : settle(new ThreadError(`threads: ${who} exited with code ${code}`))));
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
