// The library throws only its typed errors, and each names the field it is
// about in `field` as well as in its message, so callers can name it their way.
import { describe, expect, it } from 'vitest';
import { checkInt } from '../src/errors.js';
import { ArgumentError, WasmgradError } from '../src/index.js';
import { renderHtmlReport } from '../src/report/html.js';
import { renderMemorySvg } from '../src/report/memory-svg.js';
import { renderThroughputSvg } from '../src/report/throughput-svg.js';

/** The error `fn` throws (failing the test when it throws none). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('typed errors name their field', () => {
  it('the shared checks set field to the argument they check', () => {
    const e = thrown(() => checkInt('batch', 0, 1));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toBeInstanceOf(WasmgradError);
    expect(e).toMatchObject({ field: 'batch', message: 'batch must be an integer >= 1, got 0' });
  });

  it('an error about no field in particular has none', () => {
    expect(new ArgumentError('no field').field).toBeUndefined();
  });

  it.each([
    ['renderHtmlReport', () => renderHtmlReport({ title: '', meta: {} }), 'report.title', 'renderHtmlReport: report.title must be a non-empty string, got ""'],
    [
      'renderHtmlReport (a category row)',
      () => renderHtmlReport({ title: 't', meta: {}, categories: [{ category: 'weights', measured: -1, estimated: 0 }] }),
      'report.categories[0].measured',
      'renderHtmlReport: report.categories[0].measured must be a non-negative integer byte count or null, got -1',
    ],
    [
      'renderHtmlReport (its timeline)',
      () => renderHtmlReport({ title: 't', meta: {}, timeline: { events: 'x' as never } }),
      'report.timeline.events',
      'renderHtmlReport: report.timeline.events must be an array, got "x"',
    ],
    ['renderMemorySvg', () => renderMemorySvg({ events: [] }, { width: 10 }), 'options.width', 'renderMemorySvg: options.width must be a number of pixels >= 480, got 10'],
    ['renderMemorySvg (an event)', () => renderMemorySvg({ events: [null as never] }), 'timeline.events[0]', 'renderMemorySvg: timeline.events[0] must be an object, got null'],
    ['renderThroughputSvg', () => renderThroughputSvg([{ shape: 's', gflops: { wasmgrad: -1 } }]), 'rows[0].gflops["wasmgrad"]', undefined],
  ])('%s throws an ArgumentError naming the field', (_, fn, field, message) => {
    const e = thrown(fn);
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).field).toBe(field);
    if (message !== undefined) expect((e as Error).message).toBe(message);
  });
});

describe('the field of a check run inside a function', () => {
  it('is the argument, without the function name the message starts with', () => {
    expect(thrown(() => checkInt('Tensor.empty: shape[0]', -1))).toMatchObject({ field: 'shape[0]', message: 'Tensor.empty: shape[0] must be an integer >= 0, got -1' });
  });
});
