import type { AgentInfo, AgentStats, TaskView } from './client';
import { jsonText, printable, shortTime, table } from './format';

export function formatAgents(agents: AgentInfo[]): string {
  if (agents.length === 0) return 'No agents are registered.';
  const blocks = agents.map((agent) => {
    const rows = agent.capabilities.map((c) => [
      `  ${printable(c.name)}`,
      c.requiredModules.length ? c.requiredModules.map(printable).join(',') : '-',
      c.estimatedDuration === undefined ? '-' : `~${seconds(c.estimatedDuration)}`,
      printable(c.description),
    ]);
    const caps = rows.length ? table(['  CAPABILITY', 'MODULES', 'TAKES', 'DESCRIPTION'], rows) : '  (no capabilities)';
    return `${printable(agent.name)}: ${printable(agent.description)}\n${caps}`;
  });
  const total = agents.reduce((n, a) => n + a.capabilities.length, 0);
  return `${blocks.join('\n\n')}\n\n${agents.length} agent(s), ${total} capabilities. Queue one with: jarvis task submit AGENT CAPABILITY --payload '{...}'`;
}

/** estimatedDuration is in seconds. */
function seconds(s: number): string {
  return s >= 120 ? `${Math.round(s / 60)} min` : `${Math.max(1, Math.round(s))} s`;
}

export function formatAgentStats(stats: AgentStats): string {
  const rows = stats.agents.map((a) => [printable(a.name), ...[a.totalTasks, a.waiting, a.queued, a.running, a.completed, a.failed, a.cancelled].map(String)]);
  const { workerId, running, maxConcurrentTasks, maxConcurrentPerAgent } = stats.instance;
  return [
    table(['AGENT', 'TOTAL', 'WAITING', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'], rows),
    '',
    `Counts are over all instances. This instance (${printable(workerId)}) runs ${running} task(s), at most ${maxConcurrentTasks} (${maxConcurrentPerAgent} per agent).`,
  ].join('\n');
}

export function formatSubmitted(id: string, agent: string, taskType: string, jobUrl: string): string {
  return [`Task ${id} queued for ${agent} (${taskType}).`, `Job: ${jobUrl}`, `Follow it with: jarvis task get ${id} --wait`].join('\n');
}

export function formatTaskError(task: TaskView): string {
  if (task.status === 'cancelled') return `Task ${task.id} was cancelled${task.error ? `: ${printable(task.error.message)}` : ''}`;
  if (!task.error) return `Task ${task.id} ${task.status}`;
  return `Task ${task.id} ${task.status} after ${task.attempts} attempt(s): ${printable(task.error.code)}: ${printable(task.error.message)}`;
}

export function formatTask(task: TaskView): string {
  const lines = [
    `Task ${task.id}: ${printable(task.agent)} ${printable(task.taskType)}, priority ${task.priority}`,
    `  status:    ${task.status}${task.cancelRequested && task.status === 'running' ? ' (cancel requested)' : ''}, attempt ${task.attempts} of ${task.maxAttempts}${task.progress !== undefined ? `, ${task.progress}%` : ''}`,
    `  created:   ${shortTime(task.createdAt)}`,
    `  started:   ${shortTime(task.startedAt ?? null)}`,
    `  finished:  ${shortTime(task.finishedAt ?? null)}`,
  ];
  if (task.workflowId) lines.push(`  workflow:  ${printable(task.workflowId)}`);
  if (task.error) lines.push(`  error:     ${printable(task.error.code)}: ${printable(task.error.message)}`);
  if (task.result !== undefined) lines.push('  result:', indent(jsonText(task.result)));
  return lines.join('\n');
}

export function formatCancelled(task: TaskView): string {
  if (task.status === 'cancelled') return `Cancelled task ${task.id} (${printable(task.agent)} ${printable(task.taskType)}).`;
  return `Cancel requested: task ${task.id} is ${task.status}; it stops shortly (see \`jarvis task get ${task.id}\`).`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
