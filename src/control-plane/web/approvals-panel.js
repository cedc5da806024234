// Approvals: commands the terminal firewall holds for a person (GET /api/v1/approvals, devops
// scope), kept current by the `approvals` channel, decided with Approve / Deny (admin scope;
// never by the key that asked — the server refuses that and the page shows its answer).

import { describeError } from './api.js';
import { SnapshotGate } from './snapshot-gate.js';
import { asArray, asObject, asString, formatTime, h, replace, setStatus } from './dom.js';

const RECENT = 8;

export class ApprovalsPanel {
  constructor(root, api) {
    this.api = api;
    this.status = root.querySelector('.status');
    this.list = root.querySelector('.pending');
    this.recentList = root.querySelector('.recent');
    this.pending = new Map();
    this.recent = [];
    this.errors = new Map();
    this.busy = new Set();
    /** Notes being typed, kept across re-renders (a live event re-draws the list). */
    this.notes = new Map();
    this.scopes = null;
    this.gate = new SnapshotGate(() => this.read(), (...e) => this.apply(...e), () => this.render());
  }

  clear() {
    this.pending.clear();
    this.recent = [];
    this.errors.clear();
    this.scopes = null;
    replace(this.list);
    replace(this.recentList);
    setStatus(this.status, '');
  }

  /** The key's scopes, once the live connection told them (null until then: the server decides). */
  setScopes(scopes) {
    this.scopes = scopes;
    this.render();
  }

  refresh() {
    return this.gate.refresh();
  }

  async read() {
    try {
      const body = await this.api.get('/api/v1/approvals', { status: 'pending', limit: 100 });
      this.pending = new Map();
      for (const raw of asArray(asObject(body).approvals)) {
        const a = asObject(raw);
        if (typeof a.id === 'string' && a.status === 'pending') this.pending.set(a.id, a);
      }
      setStatus(this.status, '');
    } catch (err) {
      this.pending.clear();
      if (err && err.status === 403) setStatus(this.status, 'Listing pending approvals needs an API key with the “devops” scope (deciding them needs “admin”); this key lacks “devops”.', 'note');
      else setStatus(this.status, describeError(err), 'error');
    }
  }

  onEvent(event, data) {
    this.gate.event(event, data);
  }

  apply(event, raw) {
    const a = asObject(raw);
    const id = asString(a.id);
    if (!id) return;
    if (event === 'approval.requested' && a.status === 'pending') this.pending.set(id, a);
    else if (event === 'approval.decided' || event === 'approval.expired') this.settled(a);
  }

  settled(a) {
    this.pending.delete(a.id);
    this.errors.delete(a.id);
    this.notes.delete(a.id);
    this.recent = [a, ...this.recent.filter((r) => r.id !== a.id)].slice(0, RECENT);
  }

  async decide(id, verb, note) {
    this.busy.add(id);
    this.errors.delete(id);
    this.render();
    try {
      const decided = asObject(await this.api.post(`/api/v1/approvals/${encodeURIComponent(id)}/${verb}`, note ? { note } : {}));
      if (decided.id === id) this.settled(decided);
      else this.pending.delete(id);
    } catch (err) {
      this.errors.set(id, describeError(err));
      // Decided or expired meanwhile: the list is stale, read it again.
      if (err && err.status === 409) void this.refresh();
    } finally {
      this.busy.delete(id);
      this.render();
    }
  }

  render() {
    const mayDecide = this.scopes === null || this.scopes.includes('admin');
    const items = [...this.pending.values()].sort((x, y) => (asString(x.createdAt) < asString(y.createdAt) ? 1 : -1));
    if (!items.length) replace(this.list, h('li', { class: 'empty' }, 'No command is waiting for approval.'));
    else replace(this.list, items.map((a) => this.item(a, mayDecide)));
    replace(this.recentList, this.recent.map((a) =>
      h('li', { dataset: { approvalId: a.id, status: asString(a.status) } },
        h('span', { class: `badge status-${asString(a.status)}`, text: asString(a.status, '?') }), ' ',
        h('code', {}, commandLine(a)),
        h('span', { class: 'meta' }, ` by ${asString(a.decidedBy, 'expiry')}${a.decisionNote ? ` — “${asString(a.decisionNote)}”` : ''}`))));
  }

  item(a, mayDecide) {
    const id = asString(a.id);
    const busy = this.busy.has(id);
    const note = h('input', { type: 'text', name: 'note', maxlength: 1000, placeholder: 'note (optional)', 'aria-label': 'Decision note' });
    note.value = this.notes.get(id) ?? '';
    note.addEventListener('input', () => this.notes.set(id, note.value));
    const approve = h('button', { type: 'button', class: 'approve', disabled: busy || !mayDecide }, 'Approve');
    const deny = h('button', { type: 'button', class: 'deny', disabled: busy || !mayDecide }, 'Deny');
    approve.addEventListener('click', () => void this.decide(id, 'approve', note.value.trim()));
    deny.addEventListener('click', () => void this.decide(id, 'deny', note.value.trim()));
    const error = this.errors.get(id);
    return h('li', { dataset: { approvalId: id } },
      h('div', {}, h('code', { class: 'command' }, commandLine(a))),
      h('div', { class: 'meta' },
        `rule ${asString(a.rule, '?')}${a.subcommand ? ` / ${asString(a.subcommand)}` : ''} · asked by key ${asString(a.requestedBy, '?')} · ${formatTime(a.createdAt)} · expires ${formatTime(a.expiresAt)}`),
      a.reason ? h('div', { class: 'meta' }, `why held: ${asString(a.reason)}`) : null,
      changesList(a),
      h('div', { class: 'actions' }, note, approve, deny, mayDecide ? null : h('span', { class: 'meta' }, ' Deciding needs the “admin” scope.')),
      error ? h('p', { class: 'status', dataset: { kind: 'error' }, role: 'alert' }, error) : null);
  }
}

/** What the command carries out, as the service that asked saw it (the first 20; the API has them all). */
function changesList(a) {
  const changes = asArray(a.context && a.context.changes);
  if (!changes.length) return null;
  const shown = changes.slice(0, 20).map((c) => h('li', {}, h('code', {}, `${asString(c && c.action, '?')} ${asString(c && c.logicalId, '?')}`), c && c.type ? ` (${asString(c.type)})` : ''));
  if (changes.length > 20) shown.push(h('li', { class: 'meta' }, `… and ${changes.length - 20} more`));
  return h('details', { class: 'changes' }, h('summary', {}, `${changes.length} change${changes.length === 1 ? '' : 's'} it carries out${a.context.source ? ` (from ${asString(a.context.source)})` : ''}`), h('ul', {}, ...shown));
}

function commandLine(a) {
  return [asString(a.command, '?'), ...asArray(a.args).map((x) => asString(x))].join(' ');
}
