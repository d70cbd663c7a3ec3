// Prediction and label logs as JSON Lines, fed to a Monitor in time order.
//
//   predictions: {"id": "r1", "time": 1733050000000, "output": 3, "latencyMs": 1.8, "features": [...]}
//                ("output" may be a probability per class; "error": true marks a failed request)
//   labels:      {"id": "r1", "time": 1733050090000, "label": 3}
//
// "time" is milliseconds (any origin) or an ISO 8601 date-time string. Blank
// lines are skipped. Each file is read line by line (never whole) and the two
// are merged by time, so a label is seen when it arrived; files should each be
// in time order, as logs are written (an event older than a closed window is
// counted late). A bad line is an ArgumentError naming the file and line, or,
// with `skipBad`, skipped and counted.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ArgumentError, clip, describeValue, firstLine } from '../errors.js';
import type { Label, Monitor, Prediction } from './monitor.js';

export interface LogFiles {
  predictions: string;
  labels?: string;
}

export interface SkippedLines {
  predictions: number;
  labels: number;
  /** The first skipped line's error, for the report. */
  first: string | null;
}

type Kind = 'predictions' | 'labels';

interface Line {
  kind: Kind;
  where: string;
  record: Record<string, unknown> | null;
  time: number;
  error: string | null;
}

/** Feeds both logs to `monitor` in time order; returns what was skipped (always zero without `skipBad`). */
export async function feedLogs(monitor: Monitor, files: LogFiles, options: { skipBad?: boolean } = {}): Promise<SkippedLines> {
  const skipped: SkippedLines = { predictions: 0, labels: 0, first: null };
  const streams = [readLines(files.predictions, 'predictions'), ...(files.labels !== undefined ? [readLines(files.labels, 'labels')] : [])];
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    // The earlier head goes first; at the same time, the prediction.
    let pick = -1;
    heads.forEach((h, i) => {
      if (!h.done && (pick < 0 || h.value.time < (heads[pick]!.value as Line).time)) pick = i;
    });
    if (pick < 0) return skipped;
    const line = heads[pick]!.value as Line;
    try {
      if (line.error !== null) throw new ArgumentError(line.error);
      if (line.kind === 'predictions') monitor.recordPrediction({ ...line.record, time: line.time } as unknown as Prediction);
      else monitor.recordLabel({ ...line.record, time: line.time } as unknown as Label);
    } catch (e) {
      if (!(e instanceof ArgumentError)) throw e;
      const message = `${line.where}: ${firstLine(e)}`;
      if (!options.skipBad) throw new ArgumentError(`${message} (or pass --skip-bad to skip and count bad lines)`);
      skipped[line.kind]++;
      skipped.first ??= message;
    }
    heads[pick] = await streams[pick]!.next();
  }
}

async function* readLines(file: string, kind: Kind): AsyncGenerator<Line> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (e: NodeJS.ErrnoException) => reject(new ArgumentError(`${kind} log ${clip(file)}: cannot read it (${e.code ?? firstLine(e)})`)));
  });
  await opened;
  let n = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (text.trim() === '') continue;
    yield parseLine(text, kind, `${clip(file)} line ${n}`);
  }
}

/** One line as a record with its time in milliseconds; a bad line carries its error instead (time -Infinity, so it is reported at once). */
function parseLine(text: string, kind: Kind, where: string): Line {
  const bad = (error: string): Line => ({ kind, where, record: null, time: -Infinity, error });
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    return bad(`not valid JSON (${firstLine(e)})`);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return bad(`expected a JSON object, got ${describeValue(record)}`);
  const r = record as Record<string, unknown>;
  const time = typeof r.time === 'string' ? Date.parse(r.time) : r.time;
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    return bad(`time must be milliseconds or an ISO 8601 date-time, got ${describeValue(r.time)}`);
  }
  return { kind, where, record: r, time, error: null };
}
