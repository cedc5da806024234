import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
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

/**
 * An approved command runs after the approval's answer: the approval as GET /api/v1/approvals/:id
 * shows it once its result is stored (as `key`, which may read approvals).
 */
export async function approvalWithResult<T = { result: { exitCode: number; stderr: string; stdout: string } }>(app: Express, key: string, id: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const res = await request(app).get(`/api/v1/approvals/${id}`).set('authorization', `Bearer ${key}`);
    if (res.body.result) return res.body as T;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`approval ${id} has no result`);
}
