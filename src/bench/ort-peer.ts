// onnxruntime-web as a GEMM peer: its WASM backend (MLAS), one thread, no
// proxy worker, running a one-node ONNX model per shape
// (src/bench/onnx-gemm-model.ts). In Node the package's "node" export finds
// its .wasm next to itself in node_modules, so no wasmPaths is needed.
//
// What a timed call includes: session.run copies A and B from their JS arrays
// into onnxruntime's WASM heap (its WASM backend has no resident CPU input:
// every run binds its inputs anew), computes C, copies C out into a fresh
// Float32Array, and resolves a promise. The copies are O(mk + kn + mn)
// against the product's O(mnk).

import type { GemmShape } from './gemm-shape.js';
import { onnxGemmModel } from './onnx-gemm-model.js';
import { errorMessage, loadFailureReason, type GemmPeer, type Importer, type PeerInfo, type PreparedGemm } from './peers.js';

export const ORT_PACKAGE = 'onnxruntime-web';

/** The few onnxruntime-web calls used here, typed structurally so wasmgrad's types never need it installed. */
interface OrtTensor {
  data: unknown;
  dims: readonly number[];
  dispose?(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  env: { versions: Record<string, string | undefined>; wasm: { numThreads?: number; proxy?: boolean } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: { executionProviders: string[] }): Promise<OrtSession> };
}

/** What the ort-web peer ran on, or why it could not run. */
export interface OrtWebInfo extends PeerInfo {
  version: string | null;
  /** Always 'wasm' when available: the execution provider every session uses. */
  backend: string | null;
  /** ort.env.wasm.numThreads: 1. */
  threads: number | null;
  /** ort.env.wasm.proxy: false, runs on the calling thread. */
  proxy: boolean | null;
}

export type OrtWebPeer = GemmPeer<OrtWebInfo>;

export function unavailableOrt(reason: string): OrtWebPeer {
  return { info: { available: false, reason, version: null, backend: null, threads: null, proxy: null }, prepare: null };
}

/** A session computing `shape` on the WASM backend. */
function createSession(ort: Ort, shape: GemmShape): Promise<OrtSession> {
  return ort.InferenceSession.create(onnxGemmModel(shape), { executionProviders: ['wasm'] });
}

/** A prepared shape: A and B wrapped as tensors once; each run returns C as a fresh Float32Array. */
async function prepareOrt(ort: Ort, shape: GemmShape, a: Float32Array, b: Float32Array): Promise<PreparedGemm> {
  const { m, n, k, transA, transB } = shape;
  const session = await createSession(ort, shape);
  const feeds = { A: new ort.Tensor('float32', a, transA ? [k, m] : [m, k]), B: new ort.Tensor('float32', b, transB ? [n, k] : [k, n]) };
  return {
    async run() {
      const { C } = await session.run(feeds);
      return C!.data as Float32Array;
    },
    dispose: () => session.release(),
  };
}

/**
 * Loads onnxruntime-web with its WASM backend on one thread, and proves it
 * runs by computing a 2x2 product; any failure (package missing, an engine it
 * does not support) makes the peer unavailable with the reason, never a crash.
 * `importModule` is replaceable for tests.
 */
export async function loadOrtWeb(importModule: Importer = (s) => import(s)): Promise<OrtWebPeer> {
  let ort: Ort;
  try {
    ort = (await importModule(ORT_PACKAGE)) as Ort;
  } catch (e) {
    return unavailableOrt(loadFailureReason([ORT_PACKAGE], e));
  }
  let c: unknown;
  try {
    // Before the first session: the WASM backend starts once, with these settings.
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    const probe = await prepareOrt(ort, { label: 'probe', m: 2, n: 2, k: 2, transA: false, transB: false }, Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1));
    c = await probe.run();
    await probe.dispose();
  } catch (e) {
    return unavailableOrt(`the onnxruntime-web WASM backend did not start: ${errorMessage(e)}`);
  }
  if (!(c instanceof Float32Array) || c.join() !== '1,2,3,4') return unavailableOrt(`onnxruntime-web computed [1 2; 3 4] x I as ${String(c)}`);
  const info: OrtWebInfo = {
    available: true,
    reason: null,
    version: ort.env.versions.web ?? ort.env.versions.common ?? null,
    backend: 'wasm',
    threads: ort.env.wasm.numThreads ?? null,
    proxy: ort.env.wasm.proxy ?? null,
  };
  return { info, prepare: (shape, a, b) => prepareOrt(ort, shape, a, b) };
}

/**
 * Why `bench train` has no ort-web column: onnxruntime-web's npm package
 * exports no training API (on-device training is a separate onnxruntime
 * build), checked against the installed package rather than assumed.
 */
export async function ortWebTrainingInfo(importModule: Importer = (s) => import(s)): Promise<{ available: false; reason: string }> {
  try {
    await importModule(`${ORT_PACKAGE}/training`);
    return { available: false, reason: `${ORT_PACKAGE}/training loads, but bench train does not drive it` };
  } catch (e) {
    if ((e as { code?: string } | null)?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') return { available: false, reason: loadFailureReason([ORT_PACKAGE], e) };
    return { available: false, reason: `${ORT_PACKAGE} has no training API: its package exports no /training, and on-device training is a separate onnxruntime build` };
  }
}
