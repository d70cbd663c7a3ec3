// One worker thread of a threaded wasmgrad runtime (src/threads/pool.ts).
// Plain JavaScript with no imports, so Node, browsers and bundlers load the
// same file from src/ or dist/. It instantiates the core on the runtime's
// shared memory, then loops: wait for the next parallel call, run its slice
// (assembly/threads.ts: claim slices until none are left). A slice that
// throws is reported through the control block, with its message in the
// status buffer, still counted as finished, and the loop goes on.

// Control block words (assembly/threads.ts).
const GENERATION = 0, FAILED = 2, STOP = 3;
// Fault injection for wasmgrad's own tests: each slice a worker claims fails before it runs,
// or the worker ends (Node: process.exit, so no finally runs) in its first slice or as it wakes for a call.
const INJECTED_FAILURE = typeof process !== 'undefined' && process.env?.WASMGRAD_TEST_WORKER_FAILURE === '1';
const INJECTED_DEATH = typeof process !== 'undefined' ? process.env?.WASMGRAD_TEST_WORKER_DEATH : undefined;
// Tests only: hold each slice for up to 10 s, long enough for the supervisor to end meanwhile (supervisor.js).
const INJECTED_HOLD = typeof process !== 'undefined' && process.env?.WASMGRAD_TEST_SUPERVISOR_DEATH === '1';
// How long an idle worker keeps checking the generation word before it
// sleeps, ms. A training step's parallel calls come tens to hundreds of
// microseconds apart (the small products, the loss and JavaScript run in
// between on the caller), and waking a sleeping thread costs about as much in
// a VM; an idle runtime's workers are asleep a millisecond after its last call.
const SPIN_MS = 1;
// Generation checks between two looks at the clock.
const CHECKS_PER_CLOCK = 256;

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined && typeof self === 'undefined';
// No top-level await and no literal Node specifier: bundlers build this file as a classic
// (IIFE) worker script by default, and a browser never takes the Node branch.
const nodeWorkerThreads = 'node:worker_threads';
let port;

if (isNode) {
  import(/* @vite-ignore */ nodeWorkerThreads).then(({ parentPort }) => {
    port = parentPort;
    port.once('message', start);
  });
} else {
  port = self;
  self.onmessage = (e) => start(e.data);
}

async function start({ module, memory, index, status }) {
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
}

function loop(core, control, index, status, seen) {
  for (;;) {
    const idleSince = performance.now();
    for (let checks = 1; Atomics.load(control, GENERATION) === seen; checks++) {
      if (checks % CHECKS_PER_CLOCK === 0 && performance.now() - idleSince > SPIN_MS) Atomics.wait(control, GENERATION, seen);
    }
    seen = Atomics.load(control, GENERATION);
    if (Atomics.load(control, STOP)) break;
    if (INJECTED_DEATH === 'on-wake') process.exit(3);
    for (let part = core.threadClaim(); part >= 0; part = core.threadClaim()) {
      try {
        if (INJECTED_FAILURE) throw new Error('failure injected by WASMGRAD_TEST_WORKER_FAILURE');
        if (INJECTED_DEATH === 'in-slice') process.exit(3);
        if (INJECTED_HOLD) for (const until = performance.now() + 10_000; performance.now() < until; );
        core.threadRun(part);
      } catch (e) {
        fail(status, control, index, `${e?.name ?? 'Error'}: ${e?.message ?? e}`);
      } finally {
        core.threadFinish();
      }
    }
  }
  if (isNode) port.close();
  else self.close();
}

/** Reports a failure: its message into the status buffer (length, then UTF-16 code units), then the worker's index. */
function fail(status, control, index, text) {
  const units = new Uint16Array(status, 4);
  const n = Math.min(text.length, units.length);
  for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  new Int32Array(status, 0, 1)[0] = n;
  Atomics.store(control, FAILED, index + 1);
}
