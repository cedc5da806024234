// Outbox: the messages campaigns "sent" through the marketing module's default channel, a
// local outbox — nothing leaves the machine (POST /api/v1/execute marketing.outbox). Read again
// on Refresh and when a task completes, since a task may have sent a campaign.

import { describeUnavailable } from './api.js';
import { asArray, asObject, asString, formatTime, h, replace, setStatus } from './dom.js';

const PAGE = 20;
/** Several tasks finishing together cause one read, not one each. */
const REFRESH_DELAY_MS = 500;

export class OutboxPanel {
  constructor(root, api) {
    this.api = api;
    this.status = root.querySelector('.status');
    this.rows = root.querySelector('tbody');
    this.more = root.querySelector('button.more');
    this.updated = root.querySelector('.updated');
    root.querySelector('button.reload').addEventListener('click', () => void this.refresh());
    this.more.addEventListener('click', () => void this.load(this.nextBefore));
    this.messages = [];
    this.nextBefore = null;
    this.readSeq = 0;
    this.refreshTimer = undefined;
  }

  clear() {
    clearTimeout(this.refreshTimer);
    this.readSeq += 1;
    this.messages = [];
    this.nextBefore = null;
    replace(this.rows);
    this.more.hidden = true;
    this.updated.textContent = '';
    setStatus(this.status, '');
  }

  refresh() {
    return this.load(null);
  }

  onTaskCompleted() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  async load(before) {
    const seq = ++this.readSeq;
    let failed = false;
    try {
      const params = { limit: PAGE, ...(before ? { before } : {}) };
      const body = asObject(await this.api.post('/api/v1/execute', { module: 'marketing', action: 'outbox', params }));
      if (seq !== this.readSeq) return; // a newer read answers instead
      const result = asObject(body.result);
      const page = asArray(result.messages).map(normalize).filter((m) => m !== null);
      this.messages = before ? [...this.messages, ...page] : page;
      this.nextBefore = typeof result.nextBefore === 'string' ? result.nextBefore : null;
      setStatus(this.status, '');
      this.updated.textContent = `Read ${formatTime(new Date().toISOString())}.`;
    } catch (err) {
      if (seq !== this.readSeq) return;
      failed = true;
      if (!before) {
        this.messages = [];
        this.nextBefore = null;
      }
      setStatus(this.status, describeUnavailable('Outbox messages', err), 'error');
    }
    this.render(failed);
  }

  render(failed) {
    this.more.hidden = !this.nextBefore;
    if (!this.messages.length) {
      const text = failed ? 'No messages to show.' : 'The outbox is empty — campaign messages arrive here when marketing.send-due sends them.';
      return replace(this.rows, h('tr', {}, h('td', { colspan: 4, class: 'empty' }, text)));
    }
    replace(this.rows, this.messages.map(messageRow));
  }
}

function normalize(raw) {
  const m = asObject(raw);
  const id = asString(m.id);
  if (!id) return null;
  return { id, to: asString(m.to, '?'), subject: asString(m.subject), body: asString(m.body), campaignId: asString(m.campaignId, '?'), queuedAt: asString(m.queuedAt) };
}

/** The subject opens onto the message's text: a reviewer can read what a recipient would get. */
function messageRow(m) {
  return h('tr', { dataset: { outboxId: m.id } },
    h('td', { class: 'to' }, m.to),
    h('td', { class: 'subject' }, h('details', {}, h('summary', {}, m.subject || '(no subject)'), h('pre', { class: 'message-body' }, m.body))),
    h('td', { class: 'campaign id' }, m.campaignId),
    h('td', { class: 'time' }, formatTime(m.queuedAt)));
}
