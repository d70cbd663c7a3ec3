// `wasmgrad monitor --demo drift` on the real Fashion-MNIST (where Debian's
// dataset-fashion-mnist is installed): no alert before the injected shifts,
// input drift, prediction drift and accuracy at the brightness change,
// label drift at the class-mix change; the HTML report is written.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEBIAN_DATA_DIRS } from '../src/data/mnist-files.js';
import { DRIFT_DEMO } from '../src/monitor/demo-drift.js';
import { runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-monitor-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!DEBIAN_DATA_DIRS.some((dir) => existsSync(dir)))('wasmgrad monitor --demo drift', () => {
  it('flags each injected shift in the window it starts, and nothing before', async () => {
    const html = join(root, 'drift.html');
    const r = await runCli(['monitor', '--demo', 'drift', '--json', '--html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ format: 'wasmgrad.monitor/1', demo: 'drift', logs: null });
    const violated = (slo: string) => doc.alerts.filter((a: { slo: string; kind: string }) => a.slo === slo && a.kind === 'violated').map((a: { window: number }) => a.window);
    const [inputs, predictions, labels, accuracy] = DRIFT_DEMO.slos;
    expect(doc.alerts.filter((a: { window: number }) => a.window < DRIFT_DEMO.brightnessAt)).toEqual([]);
    expect(violated(inputs!)[0]).toBe(DRIFT_DEMO.brightnessAt);
    expect(violated(predictions!)[0]).toBe(DRIFT_DEMO.brightnessAt);
    expect(violated(accuracy!)[0]).toBe(DRIFT_DEMO.brightnessAt);
    expect(violated(labels!)).toEqual([DRIFT_DEMO.classMixAt]);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('class="wasmgrad-monitor-drift"');
  }, 120_000);
});
