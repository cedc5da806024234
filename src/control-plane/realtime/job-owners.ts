import type { Db } from '../../common/db';

/** Who queued a job: the principal id recorded as created_by (null for schedules without one). */
export type JobOwner = { exists: true; createdBy: string | null } | { exists: false };

/**
 * Looks up who queued a task or workflow, so a non-admin key only ever sees its own jobs.
 * A job's creator never changes, so answers are cached (bounded; the oldest goes first). The
 * promise is cached, so the events of one job stay in order while its owner is looked up.
 */
export class JobOwners {
  private readonly cache = new Map<string, Promise<JobOwner>>();

  constructor(
    private readonly db: Db,
    private readonly maxEntries = 10_000,
  ) {}

  owner(jobId: string): Promise<JobOwner> {
    const cached = this.cache.get(jobId);
    if (cached) return cached;
    const lookup = this.query(jobId);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(jobId, lookup);
    // A failed or empty lookup is not remembered: the job may be committed a moment later, or the database back.
    lookup.then(
      (owner) => {
        if (!owner.exists) this.cache.delete(jobId);
      },
      () => this.cache.delete(jobId),
    );
    return lookup;
  }

  private async query(jobId: string): Promise<JobOwner> {
    const table = jobId.startsWith('wf_') ? 'workflows' : 'tasks';
    const [row] = await this.db.query<{ created_by: string | null }>(`SELECT created_by FROM ${table} WHERE id = $1`, [jobId]);
    return row ? { exists: true, createdBy: row.created_by } : { exists: false };
  }
}
