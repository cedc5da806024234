import type { AgentSystem, TaskEvent } from '../agents';
import type { AiCallRecorded, BudgetAlert, BudgetService } from '../ai-router';
import type { Approval, TerminalFirewall } from '../firewall';
import { publicApproval, type TaskEventName } from './hub-events';
import type { RealtimeBus } from './realtime-bus';

export interface EventSources {
  /** Task and workflow state changes (absent when ENABLE_AGENT_SYSTEM=false). */
  agents?: Pick<AgentSystem, 'bus'>;
  /** Command approvals (absent when TERMINAL_FIREWALL_ENABLED=false). */
  firewall?: Pick<TerminalFirewall, 'on' | 'off'>;
  /** AI spend and budget alerts. */
  budgets?: Pick<BudgetService, 'on' | 'off'>;
}

/**
 * Forwards what the services emit on this instance to the realtime bus, which hands it to
 * every instance's hub. Returns the function that stops forwarding.
 */
export function forwardEvents(sources: EventSources, bus: RealtimeBus): () => void {
  const onTask = (e: TaskEvent) => {
    const data = { jobId: e.jobId, ...(e.agent ? { agent: e.agent } : {}), ...(e.taskType ? { taskType: e.taskType } : {}), ...(e.workflowId ? { workflowId: e.workflowId } : {}), ...(e.data === undefined ? {} : { data: e.data }) };
    bus.publish({ kind: 'tasks', event: e.type as TaskEventName, data, at: e.at });
  };
  const now = () => new Date().toISOString();
  const onRequested = (a: Approval) => bus.publish({ kind: 'approvals', event: 'approval.requested', data: publicApproval(a), at: now() });
  // The firewall reports decisions, withdrawals and expiries as one event; expiry is told apart here.
  const onDecided = (a: Approval) => bus.publish({ kind: 'approvals', event: a.status === 'expired' ? 'approval.expired' : 'approval.decided', data: publicApproval(a), at: now() });
  const onCall = (c: AiCallRecorded) => bus.publish({ kind: 'costs', event: 'ai.call', data: c, at: now() });
  const onAlert = (a: BudgetAlert) => bus.publish({ kind: 'costs', event: 'budget.alert', data: a, at: now() });

  sources.agents?.bus.on('event', onTask);
  sources.firewall?.on('approval.requested', onRequested);
  sources.firewall?.on('approval.decided', onDecided);
  sources.budgets?.on('call.recorded', onCall);
  sources.budgets?.on('budget.alert', onAlert);
  return () => {
    sources.agents?.bus.off('event', onTask);
    sources.firewall?.off('approval.requested', onRequested);
    sources.firewall?.off('approval.decided', onDecided);
    sources.budgets?.off('call.recorded', onCall);
    sources.budgets?.off('budget.alert', onAlert);
  };
}
