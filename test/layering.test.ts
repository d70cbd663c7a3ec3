// The house rules that keep wasmgrad's layers apart, checked over the source:
// the low modules never import the estimator, the reports or the command line,
// and the library throws only its typed errors (src/errors.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The src-relative paths a file imports (import and export ... from). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm), ...text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)].map((m) =>
    relative(SRC, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
  );
}

const rel = (file: string) => relative(SRC, file);
const LOW = ['nn/', 'memory/', 'plan/', 'arena.ts', 'tensor.ts'];
const HIGH = ['estimate/', 'report/', 'cli/', 'cli.ts'];

describe('layering of src/', () => {
  it('finds the files it checks', () => {
    expect(sourceFiles(SRC).map(rel)).toEqual(expect.arrayContaining(['arena.ts', 'tensor.ts', 'cli.ts', 'errors.ts']));
  });

  it('the low modules (nn, memory, plan, arena, tensor) import nothing from estimate, report or the command line', () => {
    const offending = sourceFiles(SRC)
      .filter((f) => LOW.some((low) => rel(f).startsWith(low)))
      .flatMap((f) => importsOf(f).filter((i) => HIGH.some((high) => i.startsWith(high))).map((i) => `${rel(f)} imports ${i}`));
    expect(offending).toEqual([]);
  });

  it('the bench modules do not import each other in a circle', () => {
    const bench = sourceFiles(join(SRC, 'bench')).map(rel);
    const edges = new Map(bench.map((f) => [f, importsOf(join(SRC, f)).filter((i) => i.startsWith('bench/'))]));
    const circles = [...edges].flatMap(([from, tos]) => tos.filter((to) => edges.get(to)?.includes(from)).map((to) => `${from} <-> ${to}`));
    expect(circles).toEqual([]);
  });

  it('the browser entry (src/index.ts) reaches no Node built-in module through the code it imports', () => {
    // Type-only imports vanish when compiled; every other import is loaded by the browser.
    const valueImports = (file: string) =>
      [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)(?!\s+type\b)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of valueImports(file)) {
        if (spec.startsWith('node:')) nodeImports.push(`${rel(file)} imports ${spec}`);
        else if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      }
    };
    visit(join(SRC, 'index.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect(nodeImports).toEqual([]);
  });

  it('the library outside the command line throws only typed errors, never a bare Error', () => {
    const bare = sourceFiles(SRC)
      .filter((f) => !rel(f).startsWith('cli'))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => ({ line, at: `${rel(f)}:${i + 1}` })))
      .filter(({ line }) => line.includes('throw new Error('))
      .map(({ at }) => at);
    expect(bare).toEqual([]);
  });
});
