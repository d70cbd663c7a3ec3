// One worker thread of a threaded wasmgrad runtime (src/threads/pool.ts).
// Plain JavaScript with no imports, so Node, browsers and bundlers load the
// same file from src/ or dist/. It instantiates the core on the runtime's
// shared memory, then loops: wait for the next parallel call, run its slice
// (assembly/threads.ts, threadWork), report. A slice that throws is
// reported through the control block, with its message in the status
// buffer, and the loop goes on.

// Control block words (assembly/threads.ts).
const GENERATION = 0, DONE = 1, FAILED = 2, STOP = 3;
// Checks of the generation word before sleeping: a training step's calls
// follow each other within microseconds, and waking a sleeping thread costs more.
const SPINS = 20000;

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined && typeof self === 'undefined';
const port = isNode ? (await import(/* @vite-ignore */ 'node:worker_threads')).parentPort : self;
const onMessage = (handler) => (isNode ? port.once('message', handler) : (self.onmessage = (e) => handler(e.data)));

onMessage(async ({ module, memory, index, status }) => {
  let core;
  try {
    let readString = () => '';
    const imports = {
      env: {
        memory,
        abort: (msg) => {
          throw new Error(`wasmgrad core aborted in worker ${index}: ${readString(msg) || 'no message'}`);
        },
        onArenaEvent: () => {},
        onThreadFailure: () => {},
      },
    };
    const instance = await WebAssembly.instantiate(module, imports);
    core = instance.exports;
    // AssemblyScript strings: UTF-16 code units, their byte length in the 4 bytes before.
    readString = (ptr) => {
      const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
      return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1).slice(0, 200));
    };
    core.threadsInitWorker(index);
  } catch (e) {
    port.postMessage({ error: String(e?.message ?? e) });
    return;
  }
  // Read before reporting ready: no call starts until then, and one may start right after.
  const control = new Int32Array(memory.buffer, core.threadControl(), 8);
  const seen = Atomics.load(control, GENERATION);
  port.postMessage({ ready: true });
  loop(core, control, index, status, seen);
});

function loop(core, control, index, status, seen) {
  for (;;) {
    for (let spins = 0; Atomics.load(control, GENERATION) === seen; spins++) {
      if (spins > SPINS) Atomics.wait(control, GENERATION, seen);
    }
    seen = Atomics.load(control, GENERATION);
    if (Atomics.load(control, STOP)) break;
    try {
      core.threadWork();
    } catch (e) {
      report(status, `${e?.name ?? 'Error'}: ${e?.message ?? e}`);
      Atomics.store(control, FAILED, index + 1);
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
  if (isNode) port.close();
  else self.close();
}

/** Writes `text` into the status buffer: its length, then its UTF-16 code units. */
function report(status, text) {
  const units = new Uint16Array(status, 4);
  const n = Math.min(text.length, units.length);
  for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  new Int32Array(status, 0, 1)[0] = n;
}
