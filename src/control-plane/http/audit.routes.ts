import { UnavailableError } from '../../common/errors';
import { fieldError, parseInput } from '../../common/validation';
import type { AuditLog } from '../audit';
import { auditPageSchema, auditQuery, auditVerifySchema } from './audit-schemas';
import type { Mount, RouteSpec } from './route-spec';

export const auditRoutes = {
  list: {
    method: 'get',
    path: '/api/v1/audit',
    operationId: 'listAuditEntries',
    summary: 'Audit log entries, newest first, filtered by type, actor, subject and time',
    description: 'Commands, approvals, authentication failures, API requests, agent task events and infrastructure changes. Page with before=nextBefore.',
    tier: 'admin',
    tag: 'audit',
    query: auditQuery,
    responses: { 200: { description: 'One page of entries', schema: auditPageSchema } },
  },
  verify: {
    method: 'post',
    path: '/api/v1/audit/verify',
    operationId: 'verifyAuditChain',
    summary: 'Recompute the hash chain from the latest checkpoint and name the first broken entry',
    description: 'ok: false is a 200 as well: the check ran, and firstBroken says where the log was altered.',
    tier: 'admin',
    tag: 'audit',
    responses: { 200: { description: 'The verdict', schema: auditVerifySchema } },
  },
} satisfies Record<string, RouteSpec>;

function requireAudit(audit: AuditLog | undefined): AuditLog {
  if (!audit) throw new UnavailableError('FEATURE_DISABLED', 'The audit log is not available in this process');
  return audit;
}

/** Admin tier: reading the audit log and checking its chain (also `jarvis audit verify`). */
export function mountAuditRoutes(mount: Mount, deps: { audit?: AuditLog }): void {
  mount(auditRoutes.list, async (req, res) => {
    const audit = requireAudit(deps.audit);
    const query = parseInput(auditQuery, req.query, 'query');
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && to <= from) throw fieldError('query.to', 'must be after from');
    res.json(await audit.query({ ...query, from, to }));
  });

  mount(auditRoutes.verify, async (_req, res) => {
    res.json(await requireAudit(deps.audit).verify());
  });
}
