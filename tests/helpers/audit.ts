import type { Db } from '../../src/common/db';

/** Runs `sql` on the audit log with its append-only trigger disabled, as an attacker with owner rights could. */
export async function tamper(db: Db, sql: string, params: unknown[] = []): Promise<void> {
  await db.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
  try {
    await db.query(sql, params);
  } finally {
    await db.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
  }
}
