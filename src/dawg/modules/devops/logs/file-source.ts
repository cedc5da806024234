import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileSeverity, type LogRecord } from './log-record';

/** Lines longer than this are counted and skipped, not parsed: our own logger never writes them. */
const MAX_LINE_CHARS = 1 << 20;
/**
 * How far the disk reads may run ahead of the lines accounted for. The byte budget is charged
 * per line (deterministic), so this only bites on a giant line without a newline, which
 * readline would otherwise buffer whole.
 */
const READ_AHEAD_SLACK = 4 << 20;
const MAX_SERVICE_CHARS = 200;

export interface FileScanOptions {
  dir: string;
  /** Read only `<service>.log` and its rotated siblings `<service><n>.log` for these; all `*.log` when absent. */
  services?: ReadonlySet<string>;
  /** Files last modified before this cannot hold an entry from then on, and are not opened. */
  sinceMs: number;
  maxBytes: number;
  signal: AbortSignal;
  onRecord(record: LogRecord): void;
}

export interface FileScanStats {
  /** `missing`: the directory does not exist (yet): nothing was logged there. */
  status: 'ok' | 'missing';
  files: number;
  /** Files not opened because they were last modified before the range. */
  filesSkippedAsOlder: number;
  /** Files listed but gone (rotated away or deleted) by the time they were opened, or unreadable mid-way. */
  filesVanished: number;
  lines: number;
  bytes: number;
  skippedNonJson: number;
  skippedNoTimestamp: number;
  skippedOversized: number;
  /** The byte budget stopped the scan before every file was read. */
  truncated: boolean;
}

interface Candidate {
  name: string;
  mtimeMs: number;
}

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/** `svc.log`, or a rotated sibling `svc1.log`, `svc2.log`... as winston's tailable rotation names them. */
function belongsTo(name: string, services: ReadonlySet<string> | undefined): boolean {
  if (!name.endsWith('.log')) return false;
  if (!services) return true;
  const stem = name.slice(0, -'.log'.length);
  for (const service of services) {
    if (stem === service || (stem.startsWith(service) && /^\d+$/.test(stem.slice(service.length)))) return true;
  }
  return false;
}

/** The service a file was written for, for entries that do not name one. */
const serviceOfFile = (name: string) => name.slice(0, -'.log'.length).replace(/\d+$/, '');

/** Log files, newest first by modification time, so a budget spent early is spent on recent entries. */
async function listCandidates(dir: string, services: ReadonlySet<string> | undefined): Promise<Candidate[] | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const candidates: Candidate[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !belongsTo(entry.name, services)) continue;
    try {
      candidates.push({ name: entry.name, mtimeMs: (await stat(join(dir, entry.name))).mtimeMs });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return candidates.sort((a, b) => b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name));
}

type Parsed = LogRecord | 'non-json' | 'no-timestamp';

function parseLine(line: string, file: string, lineNumber: number): Parsed {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return 'non-json';
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'non-json';
  const { timestamp, level, service, message, ...fields } = entry as Record<string, unknown>;
  const timeMs = typeof timestamp === 'string' ? Date.parse(timestamp) : typeof timestamp === 'number' ? timestamp : Number.NaN;
  if (!Number.isFinite(timeMs)) return 'no-timestamp';
  const levelText = typeof level === 'string' ? level : '';
  return {
    timeMs,
    service: typeof service === 'string' && service !== '' ? service.slice(0, MAX_SERVICE_CHARS) : serviceOfFile(file),
    level: levelText || 'none',
    severity: fileSeverity(levelText, fields),
    message: typeof message === 'string' ? message : message === undefined ? '' : JSON.stringify(message),
    fields,
    source: { kind: 'file', file, line: lineNumber },
  };
}

/**
 * Streams the JSON-lines log files in a directory (the current file and winston's rotated
 * siblings) and hands each entry to `onRecord`. Files are read through an open descriptor, so
 * a rotation mid-read keeps reading the same data; the same file met twice under two names
 * (renamed by a rotation between listing and opening) is read once.
 */
export async function scanLogFiles(options: FileScanOptions): Promise<FileScanStats> {
  const stats: FileScanStats = {
    status: 'ok', files: 0, filesSkippedAsOlder: 0, filesVanished: 0, lines: 0, bytes: 0,
    skippedNonJson: 0, skippedNoTimestamp: 0, skippedOversized: 0, truncated: false,
  };
  const candidates = await listCandidates(options.dir, options.services);
  if (!candidates) return { ...stats, status: 'missing' };
  const seen = new Set<string>();
  let bytesRead = 0;
  for (const candidate of candidates) {
    options.signal.throwIfAborted();
    if (stats.truncated) break;
    if (candidate.mtimeMs < options.sinceMs) {
      stats.filesSkippedAsOlder++;
      continue;
    }
    let handle: FileHandle;
    try {
      handle = await open(join(options.dir, candidate.name), 'r');
    } catch (err) {
      if (!isNotFound(err)) throw err;
      stats.filesVanished++;
      continue;
    }
    try {
      const { dev, ino } = await handle.stat();
      const identity = `${dev}:${ino}`;
      if (ino !== 0 && seen.has(identity)) continue;
      seen.add(identity);
      stats.files++;
      bytesRead += await scanFile(handle, candidate.name, bytesRead, stats, options);
    } finally {
      await handle.close();
    }
  }
  return stats;
}

/** Reads one open file line by line, charging the budget per line. Returns the bytes read from disk. */
async function scanFile(handle: FileHandle, name: string, bytesReadBefore: number, stats: FileScanStats, options: FileScanOptions): Promise<number> {
  const stream = handle.createReadStream({ encoding: 'utf8', autoClose: false, highWaterMark: 64 * 1024 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let failed = false;
  stream.on('error', () => {
    failed = true;
    lines.close();
  });
  stream.on('data', () => {
    if (bytesReadBefore + stream.bytesRead > options.maxBytes + READ_AHEAD_SLACK) {
      stats.truncated = true;
      lines.close();
    }
  });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      options.signal.throwIfAborted();
      const lineBytes = Buffer.byteLength(line, 'utf8') + 1;
      if (stats.bytes + lineBytes > options.maxBytes) {
        stats.truncated = true;
        break;
      }
      stats.bytes += lineBytes;
      stats.lines++;
      lineNumber++;
      if (line.length > MAX_LINE_CHARS) stats.skippedOversized++;
      else if (line.trim() !== '') handleParsed(parseLine(line, name, lineNumber), stats, options);
    }
  } catch (err) {
    // A read error (the file truncated or its disk gone) ends this file, not the query.
    if (!failed || options.signal.aborted) throw err;
  } finally {
    lines.close();
    stream.destroy();
  }
  if (failed) stats.filesVanished++;
  return stream.bytesRead;
}

function handleParsed(parsed: Parsed, stats: FileScanStats, options: FileScanOptions): void {
  if (parsed === 'non-json') stats.skippedNonJson++;
  else if (parsed === 'no-timestamp') stats.skippedNoTimestamp++;
  else options.onRecord(parsed);
}
