import type { TaskCommand, WaitMode } from './args-task';
import type { JarvisClient, TaskView } from './client';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, RequestError } from './errors';
import { jsonText } from './format';
import { formatCancelled, formatSubmitted, formatTask, formatTaskError } from './format-tasks';
import { createTaskProgress, type ProgressStream } from './task-progress';
import { waitForTask } from './task-wait';

/** What the task commands print to and listen on, besides the client. */
export interface TaskIo {
  out: (text: string) => void;
  err: (text: string) => void;
  progressStream?: ProgressStream;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt?: (handler: () => void) => () => void;
  pollMs?: number;
}

export async function runTaskCommand(command: TaskCommand, client: JarvisClient, io: TaskIo): Promise<number> {
  switch (command.kind) {
    case 'task-submit': {
      const { agent, taskType, payload, priority } = command;
      const created = await client.submitTask(agent, { taskType, payload, ...(priority ? { priority } : {}) });
      const jobUrl = client.absolute(created.jobUrl);
      if (!command.wait) {
        io.out(command.json ? jsonText({ taskId: created.taskId, agent, taskType, status: created.status, jobUrl }) : formatSubmitted(created.taskId, agent, taskType, jobUrl));
        return EXIT_OK;
      }
      // stdout is kept for the result; what the wait is about goes with the progress.
      io.err(`Task ${created.taskId} queued for ${agent} (${taskType}); job: ${jobUrl}`);
      return follow(client, agent, taskType, created.taskId, command, io);
    }
    case 'task-get': {
      const task = await client.getTaskById(command.id);
      if (!command.wait) {
        io.out(command.json ? jsonText(task) : formatTask(task));
        return EXIT_OK;
      }
      return follow(client, task.agent, task.taskType, task.id, command, io);
    }
    case 'task-cancel': {
      const agent = command.agent ?? (await client.getTaskById(command.id)).agent;
      const task = await client.cancelTask(agent, command.id);
      io.out(command.json ? jsonText(task) : formatCancelled(task));
      return EXIT_OK;
    }
  }
}

/** Waits for the task with a progress display; the exit code says how it ended. */
async function follow(client: JarvisClient, agent: string, taskType: string, id: string, mode: WaitMode & { json: boolean }, io: TaskIo): Promise<number> {
  const interrupt = new AbortController();
  const unsubscribe = io.onInterrupt?.(() => interrupt.abort()) ?? (() => {});
  const progress = createTaskProgress(io.progressStream, io.err, `${agent} ${taskType}`);
  let outcome: Awaited<ReturnType<typeof waitForTask>>;
  try {
    outcome = await waitForTask(client, agent, id, progress, interrupt.signal, { pollMs: io.pollMs });
  } finally {
    progress.stop();
    // A second Ctrl-C from here on ends the process the usual way.
    unsubscribe();
  }
  if (outcome.kind === 'interrupted') return interrupted(client, agent, id, outcome.task, mode, io);
  return report(outcome.task, mode.json, io);
}

function report(task: TaskView, json: boolean, io: TaskIo): number {
  if (json) io.out(jsonText(task));
  if (task.status === 'completed') {
    if (!json) io.out(jsonText(task.result ?? null));
    return EXIT_OK;
  }
  io.err(`jarvis: ${formatTaskError(task)}`);
  return EXIT_FAILURE;
}

async function interrupted(client: JarvisClient, agent: string, id: string, last: TaskView | undefined, mode: WaitMode, io: TaskIo): Promise<number> {
  if (!mode.cancelOnInterrupt) {
    io.err(
      `Interrupted: stopped waiting. Task ${id} was not cancelled and goes on${last ? ` (${last.status})` : ''}.\n` +
        `Follow it again: jarvis task get ${id} --wait\nCancel it:       jarvis task cancel ${agent} ${id}`,
    );
    return EXIT_INTERRUPTED;
  }
  try {
    const task = await client.cancelTask(agent, id);
    io.err(`Interrupted: ${formatCancelled(task)}`);
  } catch (err) {
    // 409: it ended meanwhile; anything else: say so, the task may still run.
    const why = err instanceof RequestError ? err.message : String(err);
    io.err(`Interrupted: could not cancel task ${id}: ${why}\nCancel it with: jarvis task cancel ${agent} ${id}`);
  }
  return EXIT_INTERRUPTED;
}
