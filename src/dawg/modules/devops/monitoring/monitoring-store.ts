import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../../common/errors';
import { writeFileAtomic } from '../../../../common/atomic-file';
import { monitoringDocumentSchema, type MonitoringDocument } from './schema';

export const MONITORING_FILE = 'monitoring.json';

function corrupt(problem: string, cause?: unknown): AppError {
  return new AppError(500, 'MONITORING_STORE_CORRUPT', `The monitoring rules file (${MONITORING_FILE}) cannot be read: ${problem}; fix or remove it`, undefined, { cause });
}

/**
 * Alert rules and SLOs with their evaluation state, as one JSON document in the DAWG's data
 * dir, replaced atomically. Changes run one at a time (a promise chain), each reading the
 * document afresh, so two concurrent creates or an evaluate racing an update never lose each
 * other's writes; the DAWG is one process per data dir.
 */
export class MonitoringStore {
  private readonly file: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.file = path.join(dir, MONITORING_FILE);
  }

  async read(): Promise<MonitoringDocument> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, rules: [] };
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw corrupt('it is not JSON', err);
    }
    const parsed = monitoringDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw corrupt(`${first?.path.join('.') || 'document'}: ${first?.message ?? 'invalid'}`, parsed.error);
    }
    return parsed.data;
  }

  /**
   * Applies `change` to the current document (it edits the document it is given) and stores the
   * result; when `change` throws, nothing is written. Answers what `change` returned.
   */
  change<T>(change: (doc: MonitoringDocument) => T): Promise<T> {
    const next = this.chain
      .catch(() => undefined)
      .then(async () => {
        const doc = await this.read();
        const result = change(doc);
        // A document this process cannot read back is a bug here; refuse it rather than store it.
        const checked = monitoringDocumentSchema.parse(doc);
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.file, JSON.stringify(checked));
        return result;
      });
    this.chain = next;
    return next;
  }
}
