import type { Principal } from '../auth';
import type { FixedChannel, Channel, HubMessage } from './hub-events';
import type { JobOwner, JobOwners } from './job-owners';

export type AccessResult = { ok: true } | { ok: false; code: 'FORBIDDEN' | 'NOT_FOUND' | 'FEATURE_DISABLED'; message: string };

export interface ChannelAccessOptions {
  owners: JobOwners;
  /** ENABLE_AGENT_SYSTEM: without it `tasks` and `jobs/<id>` carry nothing and are refused. */
  agents: boolean;
  /** TERMINAL_FIREWALL_ENABLED: without it `approvals` carries nothing and is refused. */
  firewall: boolean;
  /** PROACTIVE_ENABLED: without it `suggestions` carries nothing and is refused. */
  proactive?: boolean;
}

export const isAdmin = (principal: Principal) => principal.scopes.includes('admin');

/**
 * Who may subscribe to what, and which events of a channel a key may see:
 * - `tasks`: every key; a key without `admin` sees only the jobs it queued.
 * - `jobs/<id>`: the key that queued the job, or an admin key (else NOT_FOUND, so ids do not leak).
 * - `approvals`: keys with `admin` or `devops` (the HTTP approval list is devops, deciding is admin).
 * - `costs`: every key; a key without `admin` sees only its own calls and the global and own budget alerts.
 * - `health`: every key (the same summary as the public GET /health/detailed).
 * - `suggestions`: every key; a key without `admin` sees only suggestions about its own work and budget.
 */
export class ChannelAccess {
  constructor(private readonly options: ChannelAccessOptions) {}

  fixedChannelsFor(principal: Principal): FixedChannel[] {
    return [
      ...(this.options.agents ? (['tasks'] as const) : []),
      ...(this.options.firewall && this.mayWatchApprovals(principal) ? (['approvals'] as const) : []),
      'costs',
      'health',
      ...(this.options.proactive ? (['suggestions'] as const) : []),
    ];
  }

  async authorize(principal: Principal, channel: Channel): Promise<AccessResult> {
    if (channel === 'tasks' || channel.startsWith('jobs/')) {
      if (!this.options.agents) return { ok: false, code: 'FEATURE_DISABLED', message: 'The agent system is disabled (ENABLE_AGENT_SYSTEM=false): there are no task events' };
      if (channel === 'tasks') return { ok: true };
      const jobId = channel.slice('jobs/'.length);
      const owner = await this.options.owners.owner(jobId);
      if (owner.exists && (isAdmin(principal) || owner.createdBy === principal.id)) return { ok: true };
      return { ok: false, code: 'NOT_FOUND', message: `No job ${jobId} that this key may watch` };
    }
    if (channel === 'suggestions' && !this.options.proactive) {
      return { ok: false, code: 'FEATURE_DISABLED', message: 'The proactive system is disabled (PROACTIVE_ENABLED=false): there are no suggestions' };
    }
    if (channel === 'approvals') {
      if (!this.options.firewall) return { ok: false, code: 'FEATURE_DISABLED', message: 'The terminal firewall is disabled (TERMINAL_FIREWALL_ENABLED=false): there are no approvals' };
      if (!this.mayWatchApprovals(principal)) return { ok: false, code: 'FORBIDDEN', message: 'The approvals channel needs an API key with the "admin" or "devops" scope' };
    }
    return { ok: true };
  }

  /** The owner of a task event's job, looked up only when some key without admin listens to `tasks`. */
  ownerOf(message: Extract<HubMessage, { kind: 'tasks' }>): Promise<JobOwner> {
    return this.options.owners.owner(message.data.jobId);
  }

  /** Whether a key sees one event on a channel it is subscribed to (jobs/<id> was checked at subscribe; task owners are checked by the caller). */
  visibleCost(principal: Principal, message: Extract<HubMessage, { kind: 'costs' }>): boolean {
    if (isAdmin(principal)) return true;
    if (message.event === 'ai.call') return message.data.caller.keyId === principal.id;
    return message.data.scope === 'global' || message.data.scope === `key:${principal.id}`;
  }

  private mayWatchApprovals(principal: Principal): boolean {
    return principal.scopes.includes('admin') || principal.scopes.includes('devops');
  }
}
