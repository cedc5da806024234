import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/common/db';

/**
 * A pending approval (kubectl rollout restart, asked by key_x) that expires in 60 s: the
 * proactive system flags it as about to expire. Returns its id.
 */
export async function insertExpiringApproval(db: Db): Promise<string> {
  const id = `apr_${randomUUID()}`;
  await db.query(
    `INSERT INTO command_approvals (id, requested_by, command, args, cwd, env, rule, reason, expires_at) VALUES ($1, 'key_x', 'kubectl', '["rollout","restart"]', '/tmp', '{}', 'kubectl', 'policy', now() + interval '60 seconds')`,
    [id],
  );
  return id;
}
