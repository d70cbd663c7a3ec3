// The parent of a threaded runtime's workers in Node (src/threads/pool.ts).
// A parallel call's caller waits inside the core, so its event loop cannot
// hear a worker end; this thread's loop is idle and can. It starts the
// workers, says when all are ready, and when one ends unasked (a crash, an
// out-of-memory end, process.exit) it counts the slice that worker held as
// finished and failed, so the waiting call ends with a ThreadError instead
// of a hang, and tells the caller's thread, which then runs on one thread.
// When this thread itself ends unasked, its workers end with it: its exit
// handler counts every slice they hold as failed in the same way.
// Plain JavaScript, loaded only by Node.

import { Worker, parentPort } from 'node:worker_threads';

// Control block words (assembly/threads.ts).
const FINISHED = 1, FAILED = 2, STOP = 3, BUSY = 32, MAX_THREADS = 64;

// Tests only: end this thread while a worker holds a slice (src/threads/worker.js holds it long enough).
const INJECTED_DEATH = process.env.WASMGRAD_TEST_SUPERVISOR_DEATH === '1';

parentPort.once('message', ({ module, memory, status, threads, controlAddress }) => {
  const control = new Int32Array(memory.buffer, controlAddress, BUSY + MAX_THREADS);
  let ready = 0;
  for (let index = 1; index < threads; index++) {
    let error;
    let started = false;
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    worker.on('message', (m) => {
      if (!m.ready) return parentPort.postMessage({ error: `worker ${index} could not instantiate the core (${m.error})` });
      started = true;
      if (++ready === threads - 1) parentPort.postMessage({ ready: true });
    });
    worker.on('error', (e) => (error = e));
    worker.on('exit', (code) => {
      if (Atomics.load(control, STOP)) return;
      const text = `worker ${index} ended (exit code ${code}${error ? `: ${String(error.message ?? error).split('\n')[0]}` : ''})`;
      if (!started) return parentPort.postMessage({ error: text });
      failSlice(control, status, index, text);
      parentPort.postMessage({ lost: text });
    });
    worker.postMessage({ module, memory, index, status });
  }
  // An uncaught error here or process.exit: the workers end with this thread.
  process.on('exit', (code) => {
    if (Atomics.load(control, STOP)) return;
    for (let index = 1; index < threads; index++) {
      failSlice(control, status, index, `the supervisor of the workers ended (exit code ${code}), and worker ${index} with it`);
    }
  });
  if (INJECTED_DEATH) {
    const timer = setInterval(() => {
      for (let index = 1; index < threads; index++) if (Atomics.load(control, BUSY + index)) process.exit(4);
    }, 1);
    timer.unref();
  }
});

/** The slice worker `index` claimed and will never finish, if any, counted finished and failed: the caller waits for its count. */
function failSlice(control, status, index, text) {
  if (Atomics.exchange(control, BUSY + index, 0) === 0) return;
  writeStatus(status, text);
  Atomics.store(control, FAILED, index + 1);
  Atomics.add(control, FINISHED, 1);
  Atomics.notify(control, FINISHED);
}

/** The status buffer's format (worker.js): length, then UTF-16 code units. */
function writeStatus(status, text) {
  const units = new Uint16Array(status, 4);
  const n = Math.min(text.length, units.length);
  for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  new Int32Array(status, 0, 1)[0] = n;
}
