/**
 * A strict parser of the Prometheus text exposition format (0.0.4), the format prom-client
 * renders. Strict means a malformed line is an error naming its line number, never a guess:
 * an alert evaluated on a half-understood scrape is worse than one that says it could not read it.
 *
 * Why not a package: the one on npm (parse-prometheus-text-format) has no types, gives values
 * as strings, and folds a histogram's samples into one object per family, which loses the labels
 * (method, route, status) that our selectors filter on.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  name: string;
  /** Label name → value; a null-prototype object, so a label named like an Object member is just a label. */
  labels: Readonly<Record<string, string>>;
  /** May be NaN or ±Infinity. */
  value: number;
  timestampMs?: number;
}

export interface PromFamily {
  type?: MetricType;
  help?: string;
}

export interface PromText {
  samples: PromSample[];
  /** From the # TYPE and # HELP lines, by metric family name. */
  families: Map<string, PromFamily>;
}

export class PromTextError extends Error {
  constructor(readonly line: number, problem: string) {
    super(`line ${line}: ${problem}`);
    this.name = 'PromTextError';
  }
}

export const DEFAULT_MAX_SAMPLES = 200_000;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+$/;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A sample value as Go's ParseFloat reads it in the format: decimal, NaN, ±Inf (any case). */
export function parseSampleValue(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  const unsigned = lower.startsWith('+') || lower.startsWith('-') ? lower.slice(1) : lower;
  if (unsigned === 'inf' || unsigned === 'infinity') return lower.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/** Reads a quoted label value starting after its opening quote; returns the value and the index after the closing quote. */
function readLabelValue(line: string, start: number, lineNo: number): [string, number] {
  let value = '';
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return [value, i + 1];
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = line[++i];
    if (next === '\\') value += '\\';
    else if (next === '"') value += '"';
    else if (next === 'n') value += '\n';
    else throw new PromTextError(lineNo, `invalid escape "\\${next ?? ''}" in a label value (only \\\\, \\" and \\n)`);
  }
  throw new PromTextError(lineNo, 'unterminated label value');
}

function skipBlanks(line: string, i: number): number {
  while (line[i] === ' ' || line[i] === '\t') i++;
  return i;
}

/** Parses `{a="1",b="2"}` from `start` (the `{`); returns the labels and the index after `}`. */
function readLabels(line: string, start: number, lineNo: number): [Record<string, string>, number] {
  const labels: Record<string, string> = Object.create(null);
  let i = skipBlanks(line, start + 1);
  while (line[i] !== '}') {
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (!name) throw new PromTextError(lineNo, `expected a label name at column ${i + 1}`);
    if (name in labels) throw new PromTextError(lineNo, `label "${name}" appears twice`);
    i = skipBlanks(line, i + name.length);
    if (line[i] !== '=') throw new PromTextError(lineNo, `expected "=" after label "${name}"`);
    i = skipBlanks(line, i + 1);
    if (line[i] !== '"') throw new PromTextError(lineNo, `expected a quoted value for label "${name}"`);
    const [value, after] = readLabelValue(line, i + 1, lineNo);
    labels[name] = value;
    i = skipBlanks(line, after);
    if (line[i] === ',') i = skipBlanks(line, i + 1);
    else if (line[i] !== '}') throw new PromTextError(lineNo, `expected "," or "}" after label "${name}"`);
  }
  return [labels, i + 1];
}

function parseSample(line: string, lineNo: number): PromSample {
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) throw new PromTextError(lineNo, 'expected a metric name');
  let i = name.length;
  let labels: Record<string, string> = Object.create(null);
  const brace = skipBlanks(line, i);
  if (line[brace] === '{') [labels, i] = readLabels(line, brace, lineNo);
  const rest = line.slice(i);
  if (rest.length > 0 && rest[0] !== ' ' && rest[0] !== '\t') throw new PromTextError(lineNo, `expected a blank before the value of "${name}"`);
  const fields = rest.split(/[ \t]+/).filter(Boolean);
  if (fields.length < 1 || fields.length > 2) throw new PromTextError(lineNo, `expected a value and an optional timestamp after "${name}", got ${fields.length} fields`);
  const value = parseSampleValue(fields[0]!);
  if (value === undefined) throw new PromTextError(lineNo, `"${fields[0]}" is not a sample value`);
  const sample: PromSample = { name, labels, value };
  if (fields[1] !== undefined) {
    const ts = Number(fields[1]);
    if (!INTEGER.test(fields[1]) || !Number.isSafeInteger(ts)) throw new PromTextError(lineNo, `"${fields[1]}" is not a timestamp (integer milliseconds)`);
    sample.timestampMs = ts;
  }
  return sample;
}

/** HELP text escapes: \\ and \n (any other backslash stays as written). */
function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

function family(families: Map<string, PromFamily>, name: string): PromFamily {
  let f = families.get(name);
  if (!f) families.set(name, (f = {}));
  return f;
}

/** `# HELP name text` / `# TYPE name type`; any other `#` line is a comment. */
function parseComment(line: string, lineNo: number, families: Map<string, PromFamily>): void {
  const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return;
  const keyword = m[1] as 'HELP' | 'TYPE';
  const name = m[2]!;
  const text = m[3] ?? '';
  if (METRIC_NAME.exec(name)?.[0] !== name) throw new PromTextError(lineNo, `"${name}" is not a metric name`);
  const f = family(families, name);
  if (keyword === 'HELP') {
    if (f.help !== undefined) throw new PromTextError(lineNo, `second HELP line for "${name}"`);
    f.help = unescapeHelp(text);
    return;
  }
  const type = text.trim();
  if (!TYPES.has(type)) throw new PromTextError(lineNo, `"${type}" is not a metric type (counter, gauge, histogram, summary, untyped)`);
  if (f.type !== undefined) throw new PromTextError(lineNo, `second TYPE line for "${name}"`);
  f.type = type as MetricType;
}

function seriesKey(sample: PromSample): string {
  return `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
}

/** Parses the whole text; throws PromTextError at the first malformed line, a repeated series, or past `maxSamples`. */
export function parsePromText(text: string, maxSamples = DEFAULT_MAX_SAMPLES): PromText {
  const samples: PromSample[] = [];
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/^[ \t]+|[ \t]+$/g, '');
    if (line === '') continue;
    if (line.startsWith('#')) {
      parseComment(line, n + 1, families);
      continue;
    }
    const sample = parseSample(line, n + 1);
    const key = seriesKey(sample);
    if (seen.has(key)) throw new PromTextError(n + 1, `series ${sample.name} with the same labels appears twice`);
    seen.add(key);
    if (samples.push(sample) > maxSamples) throw new PromTextError(n + 1, `more than ${maxSamples} samples`);
  }
  return { samples, families };
}
