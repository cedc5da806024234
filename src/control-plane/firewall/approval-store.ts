import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db';
import type { ApprovalContext, ApprovalStatus } from '../../common/firewall-protocol';

export { APPROVAL_STATUSES, type ApprovalStatus } from '../../common/firewall-protocol';

export interface Approval {
  id: string;
  requestedBy: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  rule: string;
  subcommand: string | null;
  reason: string;
  status: ApprovalStatus;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  result: unknown;
  /** What the command would do, as the service that asked for it saw it. */
  context: ApprovalContext | null;
}

interface Row {
  id: string;
  requested_by: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  rule: string;
  subcommand: string | null;
  reason: string;
  status: ApprovalStatus;
  created_at: Date | string;
  expires_at: Date | string;
  decided_by: string | null;
  decided_at: Date | string | null;
  decision_note: string | null;
  result: unknown;
  context: ApprovalContext | null;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
const toApproval = (r: Row): Approval => ({
  id: r.id,
  requestedBy: r.requested_by,
  command: r.command,
  args: r.args,
  cwd: r.cwd,
  env: r.env,
  rule: r.rule,
  subcommand: r.subcommand,
  reason: r.reason,
  status: r.status,
  createdAt: iso(r.created_at)!,
  expiresAt: iso(r.expires_at)!,
  decidedBy: r.decided_by,
  decidedAt: iso(r.decided_at),
  decisionNote: r.decision_note,
  result: r.result ?? null,
  context: r.context ?? null,
});

export type DecideOutcome = { ok: true; approval: Approval } | { ok: false; reason: 'not-found' | 'self' | 'not-pending' | 'expired'; approval?: Approval };

/** Pending approvals in PostgreSQL: every decision is one conditional UPDATE, so two admins (or instances) cannot both decide. */
export class ApprovalStore {
  constructor(private readonly db: Db) {}

  async create(input: Pick<Approval, 'requestedBy' | 'command' | 'args' | 'cwd' | 'env' | 'rule' | 'subcommand' | 'reason'> & { context?: ApprovalContext }, ttlMs: number): Promise<Approval> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO command_approvals (id, requested_by, command, args, cwd, env, rule, subcommand, reason, expires_at, context)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10::double precision / 1000), $11::jsonb) RETURNING *`,
      [`apr_${randomUUID()}`, input.requestedBy, input.command, JSON.stringify(input.args), input.cwd, JSON.stringify(input.env), input.rule, input.subcommand, input.reason, ttlMs, input.context ? JSON.stringify(input.context) : null],
    );
    return toApproval(row!);
  }

  async get(id: string): Promise<Approval | undefined> {
    const [row] = await this.db.query<Row>('SELECT * FROM command_approvals WHERE id = $1', [id]);
    return row ? toApproval(row) : undefined;
  }

  /** The newest approval of `command` in `cwd` whose arguments include `arg` (any status), if any. */
  async latest(filter: { command: string; cwd: string; arg: string }): Promise<Approval | undefined> {
    const [row] = await this.db.query<Row>(
      'SELECT * FROM command_approvals WHERE command = $1 AND cwd = $2 AND args @> $3::jsonb ORDER BY created_at DESC, id DESC LIMIT 1',
      [filter.command, filter.cwd, JSON.stringify([filter.arg])],
    );
    return row ? toApproval(row) : undefined;
  }

  async list(filter: { status?: ApprovalStatus; limit: number }): Promise<Approval[]> {
    const rows = await this.db.query<Row>(
      'SELECT * FROM command_approvals WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, id LIMIT $2',
      [filter.status ?? null, filter.limit],
    );
    return rows.map(toApproval);
  }

  /** pending → approved/denied, only before expiry and never by the key that asked. */
  async decide(id: string, decision: 'approved' | 'denied', decidedBy: string, note: string | undefined): Promise<DecideOutcome> {
    const [row] = await this.db.query<Row>(
      `UPDATE command_approvals SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4
        WHERE id = $1 AND status = 'pending' AND expires_at > now() AND requested_by <> $3 RETURNING *`,
      [id, decision, decidedBy, note ?? null],
    );
    if (row) return { ok: true, approval: toApproval(row) };
    const current = await this.get(id);
    if (!current) return { ok: false, reason: 'not-found' };
    if (current.status !== 'pending') return { ok: false, reason: 'not-pending', approval: current };
    if (current.requestedBy === decidedBy) return { ok: false, reason: 'self', approval: current };
    return { ok: false, reason: 'expired', approval: current };
  }

  /** pending → denied by the key that asked (it no longer wants the command: its deploy was cancelled or gave up). */
  async withdraw(id: string, requestedBy: string, note: string): Promise<Approval | undefined> {
    const [row] = await this.db.query<Row>(
      `UPDATE command_approvals SET status = 'denied', decided_by = $2, decided_at = now(), decision_note = $3
        WHERE id = $1 AND status = 'pending' AND requested_by = $2 RETURNING *`,
      [id, requestedBy, note],
    );
    return row ? toApproval(row) : undefined;
  }

  async setStatus(id: string, status: ApprovalStatus, result?: unknown): Promise<Approval> {
    const [row] = await this.db.query<Row>('UPDATE command_approvals SET status = $2, result = coalesce($3::jsonb, result) WHERE id = $1 RETURNING *', [id, status, result === undefined ? null : JSON.stringify(result)]);
    return toApproval(row!);
  }

  /** Pending approvals past their time become expired (a denial); returns them. */
  async expireDue(): Promise<Approval[]> {
    const rows = await this.db.query<Row>(`UPDATE command_approvals SET status = 'expired', decided_at = now() WHERE status = 'pending' AND expires_at <= now() RETURNING *`);
    return rows.map(toApproval);
  }
}
