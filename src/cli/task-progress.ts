import { SingleBar } from 'cli-progress';
import type { TaskView } from './client';
import { printable } from './format';

/** Where a wait reports how the task is doing: a bar on a terminal, status lines elsewhere. */
export interface TaskProgress {
  update(task: TaskView): void;
  /** Something about the wait itself, e.g. a poll that failed and will be retried. */
  note(text: string): void;
  /** Ends the display (a bar is left at its last state on its own line). */
  stop(): void;
}

/** The stream the bar is drawn on; a bar is drawn only when it is a terminal. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

interface Snapshot {
  status: string;
  percent: number;
  message: string;
}

/** Status, percentage and the latest progress or retry message of a task, for display. */
export function snapshot(task: TaskView): Snapshot {
  let status: string = task.status;
  if (task.status === 'running' && task.cancelRequested) status = 'cancelling';
  else if (task.status === 'running' && task.attempts > 1) status = `running (attempt ${task.attempts}/${task.maxAttempts})`;
  const percent = task.status === 'completed' ? 100 : Math.max(0, Math.min(100, Math.round(task.progress ?? 0)));
  let message = '';
  // Once it has ended, how it ended is reported on its own.
  const ended = task.status === 'completed' || task.status === 'failed' || task.status === 'cancelled';
  for (const event of ended ? [] : [...task.events].reverse()) {
    const data = (event.data ?? {}) as { message?: unknown; error?: { code?: unknown; message?: unknown } };
    if (event.type === 'task.progress' && typeof data.message === 'string') message = data.message;
    else if (event.type === 'task.retrying' && data.error) message = `retrying after ${String(data.error.code)}: ${String(data.error.message)}`;
    else continue;
    break;
  }
  // Free text from the server: no escape sequences on the terminal, one line, bounded.
  return { status, percent, message: printable(message).slice(0, 200) };
}

/** A bar on `stream` if it is a terminal, else one line through `line` per change of status, percentage or message. */
export function createTaskProgress(stream: ProgressStream | undefined, line: (text: string) => void, label: string): TaskProgress {
  return stream?.isTTY ? new BarProgress(stream, label) : new LineProgress(line, label);
}

class BarProgress implements TaskProgress {
  private readonly bar: SingleBar;
  private started = false;

  constructor(stream: ProgressStream, private readonly label: string) {
    this.bar = new SingleBar({
      stream,
      format: '{label} [{bar}] {percentage}% | {status} | {duration_formatted} {message}',
      barsize: 30,
      hideCursor: true,
      // Trimmed to the terminal's width: a wrapped line could not be redrawn in place.
      linewrap: true,
      autopadding: true,
      fps: 5,
    });
  }

  update(task: TaskView): void {
    const { status, percent, message } = snapshot(task);
    this.show(percent, { status, message });
  }

  note(text: string): void {
    this.show(undefined, { message: printable(text).slice(0, 200) });
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }

  private show(percent: number | undefined, payload: Record<string, string>): void {
    if (!this.started) {
      this.bar.start(100, percent ?? 0, { label: this.label, status: '', message: '', ...payload });
      this.started = true;
    } else if (percent === undefined) this.bar.update(payload);
    else this.bar.update(percent, payload);
  }
}

class LineProgress implements TaskProgress {
  private last = '';

  constructor(
    private readonly line: (text: string) => void,
    private readonly label: string,
  ) {}

  update(task: TaskView): void {
    const { status, percent, message } = snapshot(task);
    const text = `${this.label}: ${status}${task.status === 'running' || percent > 0 ? ` ${percent}%` : ''}${message ? ` (${message})` : ''}`;
    if (text !== this.last) this.line(text);
    this.last = text;
  }

  note(text: string): void {
    this.line(`${this.label}: ${printable(text)}`);
  }

  stop(): void {}
}
