/**
 * `wasmgrad bench all --json`: every suite's document under its name, in the
 * order the suites ran, after the document's own format.
 */

export type BenchDocument = { format: 'wasmgrad.bench/1' } & Record<string, unknown>;

export function benchDocument(suites: Readonly<Record<string, unknown>>): BenchDocument {
  return { format: 'wasmgrad.bench/1', ...suites };
}
