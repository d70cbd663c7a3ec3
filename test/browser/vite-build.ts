// Builds the bundled fixture page with Vite the way an application would:
// 'wasmgrad' is resolved from node_modules through package.json "exports", and
// the .wasm files are found only through `new URL('…', import.meta.url)`.

import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface BundledFixture {
  /** The directory to serve: index.html plus assets/. */
  readonly outDir: string;
  /** File names under assets/ (hashed by Vite). */
  readonly assets: string[];
  remove(): Promise<void>;
}

export async function buildBundledFixture(): Promise<BundledFixture> {
  const work = await mkdtemp(path.join(tmpdir(), 'wasmgrad-vite-'));
  const app = path.join(work, 'app');
  await cp(FIXTURES, app, { recursive: true });
  // node_modules/wasmgrad -> this checkout, as `npm link` would leave it.
  await mkdir(path.join(app, 'node_modules'));
  await symlink(REPO_ROOT, path.join(app, 'node_modules', 'wasmgrad'), 'dir');

  const outDir = path.join(work, 'out');
  await build({
    root: path.join(app, 'bundled'),
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return {
    outDir,
    assets: await readdir(path.join(outDir, 'assets')),
    remove: () => rm(work, { recursive: true, force: true }),
  };
}
