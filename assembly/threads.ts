// Parallel calls in the threaded builds: the calling thread (thread 0) and
// the workers share one linear memory. A kernel that splits stores its
// arguments in the task slots of the control block and calls runParallel,
// which publishes the call in the claim word and wakes the workers. Every
// thread, the caller included, then claims slices one at a time (an atomic
// compare-and-swap on the claim word) until none are left, and the caller
// waits until all are finished. The split is fixed by the call, so who runs
// a slice changes nothing: each covers elements of the result no other
// touches, computed by the same code in the same order as one thread would.
// Each thread claims its own slice first (thread t, slice t), so a training
// step's kernels that split the same parameters alike find them in that
// core's cache; then any slice left. A worker that is slow to wake (or never
// does) leaves its slices to the others instead of holding the call up.
//
// In builds without threads every kernel runs on the calling thread and
// nothing here is compiled in beyond constant `false` tests.

import { gemmSlice } from "./kernels/gemm";
import { gemmBatchedSlice } from "./kernels/gemm-batched";
import { useTileOf } from "./kernels/gemm-tile";
import { sgdSlice } from "./optim/sgd";
import { adamSlice } from "./optim/adam";
import { activationBackwardSlice, activationForwardSlice } from "./kernels/activations";
import { causalSoftmaxBackwardSlice, causalSoftmaxForwardSlice } from "./kernels/softmax";
import { addBiasSlice, biasGradSlice } from "./kernels/linear";
import { gatherPixelsSlice } from "./kernels/data";
import { normForwardSlice } from "./kernels/norm";
import { elementwiseAddSlice } from "./kernels/elementwise";
import { maxAbsSlice } from "./kernels/check";

/** Most threads one runtime can run (the host caps its request to this). */
export const MAX_THREADS: i32 = 64;

// Control block, i32 words. The host's pool, supervisor and workers
// (src/threads/) use words 0 to 3 and the busy words too.
const GENERATION = 0; // bumped once per parallel call; idle workers wait on it
const FINISHED = 1; // slices of the current call finished (or failed)
const FAILED = 2; // 1 + index of a worker whose slice threw, or 0
const STOP = 3; // 1: workers leave their loop
const PARTS = 4; // slices of the current call
const TASK = 5; // which kernel the current call runs
const UNCLAIMED = 6; // i64 over words 6 and 7: bit s set while slice s of the current call is unclaimed
const ARGS = 8; // first argument slot
export const ARG_SLOTS = 24;
// Per thread: 1 + the slice it has claimed and not finished, or 0. A worker
// that dies mid-slice leaves its word set, so the supervisor (Node) can count
// that slice as finished and failed instead of leaving the caller waiting.
const BUSY = ARGS + ARG_SLOTS;
const control = memory.data((BUSY + MAX_THREADS) * 4, 64);

export const TASK_GEMM = 1;
export const TASK_GEMM_BATCHED = 2;
export const TASK_SGD = 3;
export const TASK_ADAM = 4;
export const TASK_ACTIVATION_FORWARD = 5;
export const TASK_ACTIVATION_BACKWARD = 6;
export const TASK_SOFTMAX_FORWARD = 7;
export const TASK_SOFTMAX_BACKWARD = 8;
export const TASK_ADD_BIAS = 9;
export const TASK_BIAS_GRAD = 10;
export const TASK_GATHER_PIXELS = 11;
export const TASK_NORM_FORWARD = 12;
export const TASK_ADD = 13;
export const TASK_MAX_ABS = 14;

// Per instance (wasm globals are not shared): the threads a call may use
// (set in the main instance only), and this instance's own index.
let threadCount: i32 = 1;
let workerIndex: i32 = 0;
let mainCanWait: bool = false;
let parallelCalls: i32 = 0;
// Checks of the finished count before the caller sleeps (about 0.3 ms).
const SPINS = 1 << 16;

// Thrown by the host when a worker reported a failure (JavaScript exception).
@external("env", "onThreadFailure")
declare function onThreadFailure(worker: i32): void;

/** Address of the control block (the host's workers wait on its words). */
export function threadControl(): usize {
  return control;
}

/**
 * The main instance: how many threads parallel calls use (1 = none), and
 * whether this thread may block in wait (Node's main thread may; a browser
 * page's may not, so it spins).
 */
export function threadsConfigure(count: i32, canWait: bool): void {
  threadCount = ASC_FEATURE_THREADS ? max(1, min(count, MAX_THREADS)) : 1;
  mainCanWait = canWait;
}

/** Threads a parallel call uses now. */
export function threadsActive(): i32 {
  return threadCount;
}

/** Calls that ran on more than one thread since instantiation (tests show which calls split). */
export function threadsParallelCalls(): i32 {
  return parallelCalls;
}

/** A worker instance: which thread it is (1 ..). */
export function threadsInitWorker(index: i32): void {
  workerIndex = index;
  useTileOf(index);
}

/** This instance's thread index: 0 on the calling thread. */
export function threadIndex(): i32 {
  return workerIndex;
}

@inline export function setArg<T>(slot: i32, value: T): void {
  store<T>(control + (<usize>(ARGS + slot) << 2), value);
}

@inline export function arg<T>(slot: i32): T {
  return load<T>(control + (<usize>(ARGS + slot) << 2));
}

/**
 * Runs `task` with its arguments already in the slots on `parts` threads
 * (2 <= parts <= threadsActive()) and returns when all are done. A worker
 * whose slice threw is reported (the host throws) after every slice ended,
 * so no worker still runs when the caller sees the error.
 */
export function runParallel(task: i32, parts: i32): void {
  if (ASC_FEATURE_THREADS) {
    parallelCalls++;
    // The previous call is finished: no thread touches these words now.
    atomic.store<i32>(control + (FINISHED << 2), 0);
    atomic.store<i32>(control + (TASK << 2), task);
    atomic.store<i32>(control + (PARTS << 2), parts);
    // Published after PARTS, so a thread that sees a slice unclaimed sees its call.
    atomic.store<u64>(control + (UNCLAIMED << 2), parts == 64 ? ~(<u64>0) : (<u64>1 << <u64>parts) - 1);
    atomic.add<i32>(control + (GENERATION << 2), 1);
    atomic.notify(control + (GENERATION << 2), threadCount - 1);
    claimSlices();
    // Spin first: a claimed slice ends within about a slice's time, and
    // waking from a wait costs tens of microseconds in a VM.
    let spins = 0;
    // `parts` is read from memory after each wait: V8 11.3 (Node 20) can
    // return from memory.atomic.wait32 with the function's locals clobbered.
    for (let f = atomic.load<i32>(control + (FINISHED << 2)); f < atomic.load<i32>(control + (PARTS << 2)); f = atomic.load<i32>(control + (FINISHED << 2))) {
      if (mainCanWait && ++spins > SPINS) memory.atomic.wait32(control + (FINISHED << 2), f, 1_000_000);
    }
    const failed = atomic.load<i32>(control + (FAILED << 2));
    if (failed) {
      atomic.store<i32>(control + (FAILED << 2), 0);
      onThreadFailure(failed - 1);
    }
  }
}

/**
 * Claims a slice of the current call for this thread: its index, or -1 when
 * none is left. The caller runs it (threadRun) and then calls threadFinish,
 * also when it threw: the call's caller waits for every claimed slice.
 */
export function threadClaim(): i32 {
  if (ASC_FEATURE_THREADS) {
    const unclaimed = control + (UNCLAIMED << 2);
    // Its own slice first: clearing a bit that is already clear changes nothing.
    if (workerIndex < 64) {
      const own = <u64>1 << <u64>workerIndex;
      if (atomic.and<u64>(unclaimed, ~own) & own) return markBusy(workerIndex);
    }
    for (let u = atomic.load<u64>(unclaimed); u != 0; u = atomic.load<u64>(unclaimed)) {
      const part = <i32>ctz(u);
      if (atomic.cmpxchg<u64>(unclaimed, u, u & (u - 1)) == u) return markBusy(part);
    }
  }
  return -1;
}

// Right after the claim, with no loop between, so a worker cannot be terminated between claim and mark.
@inline function markBusy(part: i32): i32 {
  atomic.store<i32>(control + (<usize>(BUSY + workerIndex) << 2), part + 1);
  return part;
}

/** Runs claimed slice `part` of the current call. A claimed slice is not finished, so the call and its task slots stay as they are. */
export function threadRun(part: i32): void {
  runSlice(load<i32>(control + (TASK << 2)), part, load<i32>(control + (PARTS << 2)), workerIndex);
}

/** Counts a claimed slice as finished and wakes the call's caller. */
export function threadFinish(): void {
  if (ASC_FEATURE_THREADS) {
    atomic.store<i32>(control + (<usize>(BUSY + workerIndex) << 2), 0);
    atomic.add<i32>(control + (FINISHED << 2), 1);
    atomic.notify(control + (FINISHED << 2), 1);
  }
}

/** The calling thread's share: slices until none are left. */
function claimSlices(): void {
  for (let part = threadClaim(); part >= 0; part = threadClaim()) {
    threadRun(part);
    threadFinish();
  }
}

/** Runs slice `part` of `parts` of `task` on thread `thread` (whose packing workspace it uses). */
function runSlice(task: i32, part: i32, parts: i32, thread: i32): void {
  switch (task) {
    case TASK_GEMM: gemmSlice(part, parts, thread); break;
    case TASK_GEMM_BATCHED: gemmBatchedSlice(part, parts, thread); break;
    case TASK_SGD: sgdSlice(part, parts); break;
    case TASK_ADAM: adamSlice(part, parts); break;
    case TASK_ACTIVATION_FORWARD: activationForwardSlice(part, parts); break;
    case TASK_ACTIVATION_BACKWARD: activationBackwardSlice(part, parts); break;
    case TASK_SOFTMAX_FORWARD: causalSoftmaxForwardSlice(part, parts); break;
    case TASK_SOFTMAX_BACKWARD: causalSoftmaxBackwardSlice(part, parts); break;
    case TASK_ADD_BIAS: addBiasSlice(part, parts); break;
    case TASK_BIAS_GRAD: biasGradSlice(part, parts); break;
    case TASK_GATHER_PIXELS: gatherPixelsSlice(part, parts); break;
    case TASK_NORM_FORWARD: normForwardSlice(part, parts); break;
    case TASK_ADD: elementwiseAddSlice(part, parts); break;
    case TASK_MAX_ABS: maxAbsSlice(part, parts); break;
    default: unreachable();
  }
}

// An elementwise loop over fewer floats stays on one thread. Adam at the
// threshold (16,384 floats) ran 1.35x and 1.48x on two threads in two runs of
// bench/thread-thresholds.mjs (2-vCPU AMD EPYC); below it nothing is split.
export const PARALLEL_ELEMENTS: i32 = 1 << 14;
/** Elementwise slices are whole multiples of this many floats, so each element takes the same (vector or scalar) path as on one thread. */
export const ELEMENT_ALIGN: i32 = 64;

/** Threads for a pass over `elements` floats that splits into at most `units` slices (rows, matrices, aligned ranges). */
export function splitParts(elements: i64, units: i32): i32 {
  if (threadCount == 1 || elements < <i64>PARALLEL_ELEMENTS) return 1;
  return max(1, min(threadCount, units));
}

/** Threads for an elementwise loop over n floats (slices of ELEMENT_ALIGN). */
export function elementParts(n: i32): i32 {
  return splitParts(n, n / ELEMENT_ALIGN);
}

/** Start of part `part` of n items split in `parts` chunks that are multiples of `align` (the last takes the rest); n for part = parts. */
@inline export function sliceStart(n: i32, part: i32, parts: i32, align: i32): i32 {
  const chunk = ((n + parts - 1) / parts + align - 1) / align * align;
  return min(n, part * chunk);
}
