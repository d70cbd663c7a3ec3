// The package as a user gets it: `npm pack`, installed from the tarball into a
// fresh project, then imported from Node, type-checked against, and its CLI run.
// A file missing from "files", or "exports"/"bin"/"types" pointing at nothing,
// fails here even when every in-repo test passes.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CORE_BUILDS = ['simd', 'relaxed', 'scalar'] as const;
const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(ext)) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * True when dist/ was built after the last change to src/ and assembly/, so the
 * tarball can be packed as is (`npm test` builds in pretest). Otherwise `npm pack`
 * runs the package's prepare script, the full build.
 */
function distIsFresh(): boolean {
  const outputs = ['dist/src/index.js', ...CORE_BUILDS.map((b) => `dist/build/wasmgrad-${b}.wasm`)].map((f) => path.join(REPO_ROOT, f));
  if (!outputs.every((f) => existsSync(f))) return false;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const sources = Math.max(newestMtime(path.join(REPO_ROOT, 'src'), '.ts'), newestMtime(path.join(REPO_ROOT, 'assembly'), '.ts'));
  return sources <= built;
}

/** Every file package.json promises to consumers: main, types, bin and all "exports" targets. */
function promisedFiles(pkg: Record<string, any>): string[] {
  const targets = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string') targets.add(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(pkg.main);
  collect(pkg.types);
  collect(pkg.bin);
  collect(pkg.exports);
  return [...targets].map((t) => path.posix.normalize(t));
}

/** Runs a command in `cwd`; on failure the error carries its output, so the test says what went wrong. */
async function sh(cwd: string, file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, maxBuffer: 16 << 20 });
  } catch (err: any) {
    throw new Error(`${file} ${args.join(' ')} failed (exit ${err.code}) in ${cwd}:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

const CONSUMER_SCRIPT = `
import { createRequire } from 'node:module';
import { init, matmul, pickBuild, detectFeatures } from 'wasmgrad';

const build = process.argv[2];
const rt = await init({ build });
// [1 2 3; 4 5 6] x [7 8; 9 10; 11 12]: small integers, exact in float32.
const c = matmul(rt, Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(7, 8, 9, 10, 11, 12), 2, 3, 2);
console.log(JSON.stringify({
  build: rt.build,
  picked: pickBuild(detectFeatures()),
  describe: rt.describe(),
  c: [...c],
  version: createRequire(import.meta.url)('wasmgrad/package.json').version,
}));
`;

const NODE_CONSUMER_SCRIPT = `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, Sequential, Linear, ReLU, modelFromWeights } from 'wasmgrad';
import { saveWeights, readWeights } from 'wasmgrad/node';

const rt = await init();
const model = new Sequential(rt, [Linear(3, 4), ReLU(), Linear(4, 2)], { seed: 1 });
const path = join(mkdtempSync(join(tmpdir(), 'wasmgrad-consumer-')), 'model.safetensors');
saveWeights(path, model);
const copy = modelFromWeights(rt, readWeights(path));
console.log(JSON.stringify({ same: JSON.stringify(copy.parameters()) === JSON.stringify(model.parameters()) }));
`;

const CONSUMER_TS = `
import { init, matmul, type Runtime, type BuildName } from 'wasmgrad';

const build: BuildName = 'scalar';
const rt: Runtime = await init({ build });
const c: Float32Array = matmul(rt, new Float32Array(4), new Float32Array(4), 2, 2, 2);
export const size: number = c.length;
`;

describe('the packed package, installed into a fresh project', () => {
  let work: string;
  let project: string;
  let tarballFiles: string[];
  let pkg: Record<string, any>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'wasmgrad-pack-'));
    project = path.join(work, 'consumer');
    pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));

    const fresh = distIsFresh();
    if (!fresh) console.warn('[package test] dist/ is older than src/ or assembly/: npm pack runs the full build');
    const packArgs = ['pack', '--json', '--pack-destination', work, ...(fresh ? ['--ignore-scripts'] : [])];
    const { stdout } = await sh(REPO_ROOT, 'npm', packArgs);
    // Lifecycle scripts may print before the JSON; the report is the last top-level array.
    const report = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1))[0];
    tarballFiles = report.files.map((f: { path: string }) => f.path);

    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'wasmgrad-consumer', private: true, type: 'module' }));
    await writeFile(path.join(project, 'check.mjs'), CONSUMER_SCRIPT);
    await writeFile(path.join(project, 'weights.mjs'), NODE_CONSUMER_SCRIPT);
    await sh(project, 'npm', ['install', path.join(work, report.filename), '--no-audit', '--no-fund', '--prefer-offline']);
  }, 300_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships every file package.json points at, and every core build', () => {
    const wanted = [...promisedFiles(pkg), ...CORE_BUILDS.map((b) => `dist/build/wasmgrad-${b}.wasm`)];
    expect(wanted).toContain('dist/src/index.js');
    expect(wanted.filter((f) => !tarballFiles.includes(f))).toEqual([]);
  });

  it('ships no benchmark files, and every source map\'s sources', async () => {
    expect(tarballFiles.filter((f) => /(^|\/)bench\/|\.bench\./.test(f) && !f.startsWith('src/bench/') && !f.startsWith('dist/src/bench/'))).toEqual([]);
    const maps = tarballFiles.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(path.join(project, 'node_modules', 'wasmgrad', map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(map), source));
        if (!tarballFiles.includes(file)) missing.push(`${map} -> ${file}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('runs nothing on install: no install-time scripts', async () => {
    const installed = JSON.parse(await readFile(path.join(project, 'node_modules', 'wasmgrad', 'package.json'), 'utf8'));
    expect(Object.keys(installed.scripts ?? {}).filter((s) => /^(pre|post)?install$/.test(s))).toEqual([]);
  });

  it('wasmgrad/node saves and reads a weights file', async () => {
    expect(JSON.parse((await sh(project, process.execPath, ['weights.mjs'])).stdout)).toEqual({ same: true });
  });

  it('imports from Node by package name, picks the build the engine supports, and multiplies', async () => {
    const out = JSON.parse((await sh(project, process.execPath, ['check.mjs'])).stdout);
    console.log(`[package] Node ${process.version} picked: ${out.describe}`);
    expect(out.build).toBe(out.picked);
    expect(out.describe).toContain(`${out.build} build`);
    expect(out.c).toEqual([58, 64, 139, 154]);
    expect(out.version).toBe(pkg.version);
  });

  it.each(['scalar', 'simd'] as const)('runs the %s build when asked', async (build) => {
    const out = JSON.parse((await sh(project, process.execPath, ['check.mjs', build])).stdout);
    expect(out.build).toBe(build);
    expect(out.c).toEqual([58, 64, 139, 154]);
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    await writeFile(path.join(project, 'consumer.ts'), CONSUMER_TS);
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [], skipLibCheck: true },
        files: ['consumer.ts'],
      }),
    );
    await sh(project, process.execPath, [TSC, '-p', 'tsconfig.json']);
  });

  it('runs its command line through the installed bin link', async () => {
    const { stdout } = await sh(project, path.join(project, 'node_modules', '.bin', 'wasmgrad'), ['--help']);
    expect(stdout).toMatch(/^Usage: wasmgrad/m);
  });
});
