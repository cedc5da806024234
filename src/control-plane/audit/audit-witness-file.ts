import { appendFile, open, rename, stat } from 'node:fs/promises';
import type { AuditEntry } from './audit-types';
import type { WitnessedEntry } from './audit-witness';

/** How often, at most, the newest written entry is appended. */
export const WITNESS_INTERVAL_MS = 1_000;
/** Past this size the file is renamed to `<file>.1` (replacing the one before) and started again. */
const ROTATE_BYTES = 1024 * 1024;
/** How much of each file's end verify reads: far more than its `count` lines. */
const TAIL_BYTES = 256 * 1024;

const SEQ = /^[1-9][0-9]{0,14}$/;
const HASH = /^[0-9a-f]{64}$/;

/**
 * A copy of the audit chain's head outside the database, for deployments without Redis
 * (AUDIT_WITNESS_FILE): after entries are committed, the newest one's seq, hash and id are
 * appended to a file, at most once a second (and at close). Verify reads the newest lines back
 * and checks that the database still holds those entries unchanged, which shows what the chain
 * alone cannot: its newest entries cut off, or its tail rewritten and rehashed, by someone who
 * can change the database but not this file (put it on another volume, an append-only mount, or
 * ship it with the logs). Each line names the database it is about (`db`), so a file shared by
 * several control planes of one database holds all their lines, and lines about another
 * database are ignored. Entries written in the last second before a cut may not be in it yet.
 */
export class AuditWitnessFile {
  private pending: AuditEntry | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastError: string | undefined;

  readonly file: string;
  private readonly db: string;
  private readonly onError: (message: string) => void;
  private readonly intervalMs: number;
  private readonly rotateBytes: number;

  constructor(options: {
    file: string;
    /** Which database the chain is in: backend, location and schema (never credentials). */
    db: string;
    /** Told when the file cannot be written, and when it can again (not at every failure). */
    onError: (message: string) => void;
    intervalMs?: number;
    rotateBytes?: number;
  }) {
    this.file = options.file;
    this.db = options.db;
    this.onError = options.onError;
    this.intervalMs = options.intervalMs ?? WITNESS_INTERVAL_MS;
    this.rotateBytes = options.rotateBytes ?? ROTATE_BYTES;
  }

  /** Called after entries are committed: remembers the newest, appended at the next tick. */
  note(entries: readonly AuditEntry[]): void {
    const newest = entries.reduce<AuditEntry | undefined>((a, e) => (a && a.seq > e.seq ? a : e), undefined);
    if (!newest || (this.pending && this.pending.seq > newest.seq)) return;
    this.pending = newest;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
  }

  /** Appends what is pending now (close, tests). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const entry = this.pending;
    this.pending = undefined;
    if (entry) this.writing = this.writing.then(() => this.append(entry));
    await this.writing;
  }

  /** The newest `count` entries of this database the file holds (its rotated part too); lines that are not one are counted. */
  async newest(count: number): Promise<{ entries: WitnessedEntry[]; malformed: number }> {
    const lines = [...(await tailLines(`${this.file}.1`)), ...(await tailLines(this.file))];
    const entries: WitnessedEntry[] = [];
    let malformed = 0;
    for (const line of lines) {
      let parsed: { db?: unknown; seq?: unknown; hash?: unknown; id?: unknown };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        malformed += 1;
        continue;
      }
      if (parsed.db !== this.db) continue;
      const seq = typeof parsed.seq === 'number' ? String(parsed.seq) : '';
      if (!SEQ.test(seq) || typeof parsed.hash !== 'string' || !HASH.test(parsed.hash)) malformed += 1;
      else entries.push({ seq: Number(seq), hash: parsed.hash, id: typeof parsed.id === 'string' ? parsed.id : null });
    }
    return { entries: entries.slice(-count), malformed };
  }

  private async append(entry: AuditEntry): Promise<void> {
    try {
      const size = await stat(this.file).then((s) => s.size, () => 0);
      if (size > this.rotateBytes) await rename(this.file, `${this.file}.1`);
      // One line, one write (O_APPEND): lines of several processes never interleave.
      await appendFile(this.file, `${JSON.stringify({ db: this.db, seq: entry.seq, hash: entry.hash, id: entry.id, at: new Date().toISOString() })}\n`, { mode: 0o600 });
      if (this.lastError) this.onError(`the audit witness file ${this.file} is written again`);
      this.lastError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.onError(`the audit witness file ${this.file} could not be written: ${message}`);
      this.lastError = message;
    }
  }
}

/** The whole lines in the last TAIL_BYTES of a file (none when it does not exist). */
async function tailLines(file: string): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    // A partial first line (the read began inside it) and the empty string after the last newline.
    if (start > 0) lines.shift();
    return lines.filter((l) => l.length > 0);
  } finally {
    await handle.close();
  }
}
