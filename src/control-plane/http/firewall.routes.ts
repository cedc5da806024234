import type { Response } from 'express';
import { NotFoundError, UnavailableError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import type { TerminalFirewall } from '../firewall';
import { FIREWALL_METRIC, type ClusterMetrics } from '../metrics';
import { approvalListQuery, approvalParams, approvalSchema, decisionBody, execBody, execResultSchema, firewallRulesSchema } from './firewall-schemas';
import { principalOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

const decision = (verb: 'approve' | 'deny') =>
  ({
    method: 'post',
    path: `/api/v1/approvals/:id/${verb}`,
    operationId: `${verb}Command`,
    summary: verb === 'approve' ? 'Approve a held command; it then runs and the approval records its result' : 'Deny a held command; it never runs',
    description: 'The key that asked for the command cannot decide it (403). Expired or decided approvals answer 409.',
    tier: 'admin',
    tag: 'firewall',
    params: approvalParams,
    body: decisionBody,
    responses: { 200: { description: 'The decided approval', schema: approvalSchema }, 403: { description: 'Self-approval' }, 404: { description: 'No such approval' }, 409: { description: 'Already decided or expired' } },
  }) satisfies RouteSpec;

export const firewallRoutes = {
  exec: {
    method: 'post',
    path: '/api/v1/devops/exec',
    operationId: 'execCommand',
    summary: 'Run a command through the terminal firewall (no shell; whitelisted commands and arguments only)',
    description: 'Answers 200 with exit code and capped output, 202 with an approval when the policy holds the command for a human, 403 COMMAND_DENIED naming the reason.',
    tier: 'devops',
    tag: 'firewall',
    body: execBody,
    responses: {
      200: { description: 'The command ran', schema: execResultSchema },
      202: { description: 'Held for approval (GET /api/v1/approvals/:id for its outcome)', schema: execResultSchema },
      403: { description: 'Refused by the policy (COMMAND_DENIED, details.denial names the check)' },
      429: { description: 'Too many commands running (FIREWALL_BUSY)' },
    },
  },
  rules: {
    method: 'get',
    path: '/api/v1/firewall/rules',
    operationId: 'getFirewallRules',
    summary: 'The firewall policy in force: commands, subcommands, approvals, directories and limits',
    tier: 'devops',
    tag: 'firewall',
    responses: { 200: { description: 'Rules', schema: firewallRulesSchema } },
  },
  stats: {
    method: 'get',
    path: '/api/v1/firewall/stats',
    operationId: 'getFirewallStats',
    summary: 'Commands allowed, denied (by reason), held, finished and running on this instance, and the totals of every live instance',
    description:
      'The top-level counters are this instance\'s since it started; `cluster` sums every live control plane on the same database (their counters as published in the last 15 s; on the embedded database, this one).',
    tier: 'devops',
    tag: 'firewall',
    responses: { 200: { description: 'Counters since start, and `cluster` totals' } },
  },
  reload: {
    method: 'post',
    path: '/api/v1/firewall/reload',
    operationId: 'reloadFirewallPolicy',
    summary: 'Re-read the policy file; a bad file leaves the current policy in force (400 POLICY_INVALID)',
    tier: 'admin',
    tag: 'firewall',
    responses: { 200: { description: 'The rules now in force' }, 400: { description: 'The file is invalid; the old policy stays' } },
  },
  listApprovals: {
    method: 'get',
    path: '/api/v1/approvals',
    operationId: 'listApprovals',
    summary: 'Commands held for approval and their outcomes, newest first',
    tier: 'devops',
    tag: 'firewall',
    query: approvalListQuery,
    responses: { 200: { description: 'Approvals' } },
  },
  getApproval: {
    method: 'get',
    path: '/api/v1/approvals/:id',
    operationId: 'getApproval',
    summary: 'One approval with its status and, once run, the command result',
    tier: 'devops',
    tag: 'firewall',
    params: approvalParams,
    responses: { 200: { description: 'The approval', schema: approvalSchema }, 404: { description: 'No such approval' } },
  },
  approve: decision('approve'),
  deny: decision('deny'),
} satisfies Record<string, RouteSpec>;

function requireFirewall(firewall: TerminalFirewall | undefined): TerminalFirewall {
  if (!firewall) throw new UnavailableError('FEATURE_DISABLED', 'The terminal firewall is disabled (TERMINAL_FIREWALL_ENABLED=false): no command can run');
  return firewall;
}

const actorOf = (res: Response) => principalOf(res)?.id ?? 'unknown';
const publicApproval = <T extends { env?: unknown }>(approval: T) => {
  // Environment values stay in the database: they may hold tokens a deploy needs.
  const { env: _env, ...rest } = approval;
  return rest;
};

/** The firewall's counters summed over every live instance's published metrics. */
async function clusterTotals(metrics: Pick<ClusterMetrics, 'snapshots'>) {
  const snapshots = await metrics.snapshots();
  const totals = { instances: snapshots.map((s) => s.instance), allowed: 0, denied: 0, deniedBy: {} as Record<string, number>, approvalsRequested: 0, finished: 0, timedOut: 0 };
  for (const { metrics: list } of snapshots) {
    for (const { labels, value } of list.find((m) => m.name === FIREWALL_METRIC)?.values ?? []) {
      const n = Number.isFinite(value) ? value : 0;
      switch (labels.event) {
        case 'allowed':
          totals.allowed += n;
          break;
        case 'denied':
          totals.denied += n;
          totals.deniedBy[String(labels.reason)] = (totals.deniedBy[String(labels.reason)] ?? 0) + n;
          break;
        case 'held':
          totals.approvalsRequested += n;
          break;
        case 'finished':
          totals.finished += n;
          break;
        case 'timed-out':
          totals.timedOut += n;
          break;
      }
    }
  }
  return totals;
}

export function mountFirewallRoutes(mount: Mount, deps: { firewall?: TerminalFirewall; clusterMetrics?: Pick<ClusterMetrics, 'snapshots'> }): void {
  mount(firewallRoutes.exec, async (req, res) => {
    const firewall = requireFirewall(deps.firewall);
    const body = parseInput(execBody, req.body, 'body');
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const outcome = await firewall.exec(body, actorOf(res), abort.signal);
    if (outcome.status === 'pending-approval') {
      res.status(202).location(`/api/v1/approvals/${outcome.approval.id}`).json({ status: outcome.status, approval: publicApproval(outcome.approval) });
      return;
    }
    res.json(outcome);
  });
  mount(firewallRoutes.rules, (_req, res) => {
    const policy = requireFirewall(deps.firewall).rules;
    res.json({
      path: policy.path,
      maxConcurrentTotal: policy.maxConcurrentTotal,
      rules: [...policy.rules.values()].map((r) => ({
        command: r.name,
        description: r.description,
        subcommands: r.subcommands?.map((s) => ({ name: s.name, requireApproval: s.limits.requireApproval, maxExecutionTimeMs: s.limits.maxExecutionTimeMs })) ?? null,
        requireApproval: r.limits.requireApproval,
        allowedDirectories: r.allowedDirectories,
        allowedEnv: [...r.allowedEnv],
        deniedOptions: r.source.deniedOptions,
        maxExecutionTimeMs: r.limits.maxExecutionTimeMs,
        maxOutputBytes: r.limits.maxOutputBytes,
        maxConcurrent: r.limits.maxConcurrent,
      })),
    });
  });
  mount(firewallRoutes.stats, async (_req, res) => {
    const stats = requireFirewall(deps.firewall).stats();
    res.json(deps.clusterMetrics ? { ...stats, cluster: await clusterTotals(deps.clusterMetrics) } : stats);
  });
  mount(firewallRoutes.reload, async (_req, res) => {
    res.json(await requireFirewall(deps.firewall).reload(actorOf(res)));
  });
  mount(firewallRoutes.listApprovals, async (req, res) => {
    const query = parseInput(approvalListQuery, req.query, 'query');
    res.json({ approvals: (await requireFirewall(deps.firewall).listApprovals(query)).map(publicApproval) });
  });
  mount(firewallRoutes.getApproval, async (req, res) => {
    const { id } = parseInput(approvalParams, req.params, 'params');
    const approval = await requireFirewall(deps.firewall).approvals.get(id);
    if (!approval) throw new NotFoundError(`No approval ${id}`, { issues: [{ field: 'params.id', message: 'is not an approval id' }] }, 'APPROVAL_NOT_FOUND');
    res.json(publicApproval(approval));
  });
  for (const verb of ['approve', 'deny'] as const) {
    mount(firewallRoutes[verb], async (req, res) => {
      const { id } = parseInput(approvalParams, req.params, 'params');
      const { note } = parseInput(decisionBody, req.body ?? {}, 'body');
      res.json(publicApproval(await requireFirewall(deps.firewall).decide(id, verb, actorOf(res), note)));
    });
  }
}
