import { EventEmitter } from 'node:events';

/** One state change of a task or workflow, as stored in task_events and published in-process. */
export interface TaskEvent {
  /** task.created|started|progress|retrying|completed|failed|cancelled|requeued, workflow.* */
  type: string;
  jobId: string;
  agent?: string;
  taskType?: string;
  workflowId?: string;
  data?: unknown;
  at: string;
}

interface TaskEventMap {
  event: [TaskEvent];
}

/**
 * In-process fan-out of task events, for the WebSocket hub and tests. Published after the
 * change has committed; events of tasks run by other instances appear on their own bus.
 */
export class TaskEventBus extends EventEmitter<TaskEventMap> {
  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {
    super();
  }

  /** A subscriber that throws must not fail the (already committed) change that published. */
  publish(event: Omit<TaskEvent, 'at'>): void {
    try {
      this.emit('event', { ...event, at: new Date().toISOString() });
    } catch (err) {
      this.onListenerError(err);
    }
  }
}
