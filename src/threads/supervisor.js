// The parent of a threaded runtime's workers in Node (src/threads/pool.ts).
// A parallel call's caller waits inside the core, so its event loop cannot
// hear a worker end; this thread's loop is idle and can. It starts the
// workers, says when all are ready, and when one ends unasked (a crash, an
// out-of-memory end, process.exit) it counts the slice that worker held as
// finished and failed, so the waiting call ends with a ThreadError instead
// of a hang, and tells the caller's thread, which then runs on one thread.
// Plain JavaScript, loaded only by Node.

import { Worker, parentPort } from 'node:worker_threads';

// Control block words (assembly/threads.ts).
const FINISHED = 1, FAILED = 2, STOP = 3, BUSY = 32, MAX_THREADS = 64;

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
      // The slice it claimed and never finished: the caller waits for its count.
      if (Atomics.exchange(control, BUSY + index, 0) !== 0) {
        writeStatus(status, text);
        Atomics.store(control, FAILED, index + 1);
        Atomics.add(control, FINISHED, 1);
        Atomics.notify(control, FINISHED);
      }
      parentPort.postMessage({ lost: text });
    });
    worker.postMessage({ module, memory, index, status });
  }
});

/** The status buffer's format (worker.js): length, then UTF-16 code units. */
function writeStatus(status, text) {
  const units = new Uint16Array(status, 4);
  const n = Math.min(text.length, units.length);
  for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  new Int32Array(status, 0, 1)[0] = n;
}
