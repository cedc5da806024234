import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../../../common/atomic-file';
import type { DeploymentRecord } from './deploy-runner';

/** Records kept; older ones are dropped (the audit log keeps every command for longer). */
const MAX_RECORDS = 1_000;

/**
 * Deployment history in one JSON document under the DAWG's data dir, written atomically and
 * one write at a time. It answers which version a target runs (its last successful deploy),
 * which is what a rollback restores.
 */
export class DeploymentStore {
  private readonly file: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.file = path.join(dir, 'deployments.json');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async list(filter: { service?: string; environment?: string; limit?: number } = {}): Promise<DeploymentRecord[]> {
    const all = await this.read();
    return all
      .filter((r) => (!filter.service || r.service === filter.service) && (!filter.environment || r.environment === filter.environment))
      .slice(-(filter.limit ?? 50))
      .reverse();
  }

  /** The version the target runs after its last deploy that ended healthy, if any. */
  async currentVersion(service: string, environment: string): Promise<string | undefined> {
    const all = await this.read();
    for (let i = all.length - 1; i >= 0; i--) {
      const r = all[i]!;
      if (r.service !== service || r.environment !== environment) continue;
      if (r.status === 'succeeded') return r.version;
      if (r.status === 'rolled-back' && r.previousVersion) return r.previousVersion;
    }
    return undefined;
  }

  /** Inserts or replaces (by id) a record. */
  async save(record: DeploymentRecord): Promise<void> {
    const next = this.chain.catch(() => undefined).then(async () => {
      const all = (await this.read()).filter((r) => r.deploymentId !== record.deploymentId);
      all.push(record);
      await writeFileAtomic(this.file, JSON.stringify(all.slice(-MAX_RECORDS)));
    });
    this.chain = next;
    await next;
  }

  private async read(): Promise<DeploymentRecord[]> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as DeploymentRecord[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
