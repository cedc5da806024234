// Tasks: recent tasks of every agent (GET /api/v1/agents, then each agent's tasks), kept
// current by the `tasks` channel (status, progress %, message), and a form that queues one.

import { describeError } from './api.js';
import { asArray, asNumber, asObject, asString, formatTime, h, replace, setStatus } from './dom.js';
import { SnapshotGate } from './snapshot-gate.js';

const PER_AGENT = 20;
const SHOWN = 100;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** Task events that set a status; progress and retry events are handled on their own. */
const STATUS_OF = {
  'task.queued': 'queued',
  'task.requeued': 'queued',
  'task.started': 'running',
  'task.completed': 'completed',
  'task.failed': 'failed',
  'task.cancelled': 'cancelled',
};

export class TasksPanel {
  constructor(root, api) {
    this.api = api;
    this.status = root.querySelector('.status');
    this.rows = root.querySelector('tbody');
    this.form = root.querySelector('form');
    this.agentSelect = this.form.querySelector('[name=agent]');
    this.typeSelect = this.form.querySelector('[name=taskType]');
    this.typeHelp = this.form.querySelector('.type-help');
    this.result = this.form.querySelector('.form-result');
    this.tasks = new Map();
    this.agents = [];
    this.gate = new SnapshotGate(() => this.read(), (...e) => this.apply(...e), () => this.render());
    this.agentSelect.addEventListener('change', () => this.fillTaskTypes());
    this.typeSelect.addEventListener('change', () => this.describeType());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
  }

  clear() {
    this.tasks.clear();
    this.agents = [];
    replace(this.rows);
    replace(this.agentSelect);
    replace(this.typeSelect);
    setStatus(this.result, '');
    setStatus(this.status, '');
  }

  /** Re-reads the agents and their recent tasks; events arriving meanwhile are applied after. */
  refresh() {
    return this.gate.refresh();
  }

  async read() {
    try {
      const body = await this.api.get('/api/v1/agents');
      this.agents = asArray(asObject(body).agents).filter((a) => typeof asObject(a).name === 'string');
      this.fillAgents();
      const lists = await Promise.allSettled(this.agents.map((a) => this.api.get(`/api/v1/agents/${encodeURIComponent(a.name)}/tasks`, { limit: PER_AGENT })));
      const fresh = new Map();
      for (const list of lists) {
        if (list.status !== 'fulfilled') continue;
        for (const raw of asArray(asObject(list.value).tasks)) {
          const task = normalize(raw);
          if (task) fresh.set(task.id, { ...task, message: this.tasks.get(task.id)?.message ?? '' });
        }
      }
      this.tasks = fresh;
      const failed = lists.find((l) => l.status === 'rejected');
      setStatus(this.status, failed ? `Some agents' tasks could not be read: ${describeError(failed.reason)}` : '', failed ? 'error' : 'note');
    } catch (err) {
      setStatus(this.status, describeError(err), 'error');
    }
  }

  onEvent(event, data, at) {
    this.gate.event(event, data, at);
  }

  apply(event, raw, at) {
    const data = asObject(raw);
    const id = asString(data.jobId);
    if (!event.startsWith('task.') || !id.startsWith('tsk_')) return; // workflow.* events: their steps are tasks
    let task = this.tasks.get(id);
    if (!task) {
      task = { id, agent: asString(data.agent, '?'), taskType: asString(data.taskType, '?'), status: data.workflowId ? 'waiting' : 'queued', progress: null, message: '', createdAt: at, error: '' };
      this.tasks.set(id, task);
    }
    const detail = asObject(data.data);
    // A snapshot read over HTTP may already be past an event that was queued behind it.
    if (TERMINAL.has(task.status) && event !== 'task.requeued') return;
    if (STATUS_OF[event]) task.status = STATUS_OF[event];
    if (event === 'task.progress') {
      task.status = 'running';
      task.progress = asNumber(detail.percent) ?? task.progress;
      task.message = asString(detail.message, task.message);
    } else if (event === 'task.retrying') {
      task.status = 'queued';
      task.message = `retry ${asString(detail.attempt, '?')} in ${Math.round((asNumber(detail.delayMs) ?? 0) / 1000)} s`;
    } else if (event === 'task.cancel_requested') {
      task.message = 'cancel requested';
    } else if (event === 'task.completed') {
      task.progress = 100;
      task.message = '';
    } else if (event === 'task.failed') {
      void this.loadError(task);
    }
  }

  /** task.failed carries no reason: the task's own record has it. */
  async loadError(task) {
    try {
      const full = normalize(await this.api.get(`/api/v1/agents/${encodeURIComponent(task.agent)}/tasks/${encodeURIComponent(task.id)}`));
      if (full) task.error = full.error;
    } catch (err) {
      task.error = `(reason not readable: ${describeError(err)})`;
    }
    this.render();
  }

  render() {
    const tasks = [...this.tasks.values()].sort((a, b) => (b.createdAt > a.createdAt ? 1 : b.createdAt < a.createdAt ? -1 : 0)).slice(0, SHOWN);
    if (!tasks.length) return replace(this.rows, h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No tasks yet.')));
    replace(this.rows, tasks.map((t) => taskRow(t)));
  }

  fillAgents() {
    const current = this.agentSelect.value;
    replace(this.agentSelect, this.agents.map((a) => h('option', { value: a.name, text: a.name })));
    if (this.agents.some((a) => a.name === current)) this.agentSelect.value = current;
    this.fillTaskTypes();
  }

  fillTaskTypes() {
    const agent = this.agents.find((a) => a.name === this.agentSelect.value);
    const current = this.typeSelect.value;
    const caps = asArray(asObject(agent).capabilities).filter((c) => typeof asObject(c).name === 'string');
    replace(this.typeSelect, caps.map((c) => h('option', { value: c.name, text: c.name })));
    if (caps.some((c) => c.name === current)) this.typeSelect.value = current;
    this.describeType();
  }

  describeType() {
    const agent = this.agents.find((a) => a.name === this.agentSelect.value);
    const cap = asArray(asObject(agent).capabilities).find((c) => asObject(c).name === this.typeSelect.value);
    this.typeHelp.textContent = asString(asObject(cap).description);
  }

  async submit() {
    const form = new FormData(this.form);
    const agent = asString(form.get('agent'));
    const taskType = asString(form.get('taskType'));
    if (!agent || !taskType) return setStatus(this.result, 'Choose an agent and a task type.', 'error');
    let payload;
    try {
      payload = JSON.parse(asString(form.get('payload')).trim() || '{}');
    } catch (err) {
      return setStatus(this.result, `The payload is not valid JSON: ${err instanceof Error ? err.message : err}`, 'error');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return setStatus(this.result, 'The payload must be a JSON object, e.g. {}.', 'error');
    const button = this.form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const body = asObject(await this.api.post(`/api/v1/agents/${encodeURIComponent(agent)}/tasks`, { taskType, payload, priority: asString(form.get('priority'), 'medium') }));
      const id = asString(body.taskId);
      setStatus(this.result, `Queued ${id} for ${agent}.`, 'ok');
      this.result.dataset.taskId = id;
      if (id && !this.tasks.has(id)) {
        this.tasks.set(id, { id, agent, taskType, status: asString(body.status, 'queued'), progress: null, message: '', createdAt: new Date().toISOString(), error: '' });
        this.render();
      }
    } catch (err) {
      setStatus(this.result, describeError(err), 'error');
    } finally {
      button.disabled = false;
    }
  }
}

function normalize(raw) {
  const t = asObject(raw);
  const id = asString(t.id);
  if (!id) return null;
  const error = asObject(t.error);
  return {
    id,
    agent: asString(t.agent, '?'),
    taskType: asString(t.taskType, '?'),
    status: asString(t.status, 'unknown'),
    progress: asNumber(t.progress),
    message: '',
    createdAt: asString(t.createdAt),
    error: error.message ? `${asString(error.code)}: ${asString(error.message)}` : '',
  };
}

function taskRow(t) {
  const percent = t.progress === null ? null : Math.max(0, Math.min(100, t.progress));
  return h(
    'tr',
    { dataset: { taskId: t.id, status: t.status } },
    h('td', {}, h('div', { text: `${t.agent} · ${t.taskType}` }), h('div', { class: 'id', text: t.id })),
    h('td', {}, h('span', { class: `badge status-${t.status}`, text: t.status })),
    h('td', { class: 'progress-cell' }, h('progress', { max: 100, value: percent ?? (t.status === 'completed' ? 100 : 0) }), h('span', { class: 'percent', text: percent === null ? '—' : `${Math.round(percent)}%` })),
    h('td', { class: 'message' }, t.error || t.message),
    h('td', { class: 'time' }, formatTime(t.createdAt)),
  );
}
