// Outbox: the messages campaigns "sent" through the marketing module's default channel, a
// local outbox — nothing leaves the machine (POST /api/v1/execute marketing.outbox). Read again
// on Refresh and when a task completes, since a task may have sent a campaign.

import { asArray, asObject, asString, formatTime, h, replace } from './dom.js';
import { PagedList } from './paged-list.js';

const PAGE = 20;

export class OutboxPanel {
  constructor(root, api) {
    this.rows = root.querySelector('tbody');
    this.updated = root.querySelector('.updated');
    this.pages = new PagedList(root, {
      what: 'Outbox messages',
      fetchPage: async (before) => {
        const params = { limit: PAGE, ...(before ? { before } : {}) };
        const result = asObject(asObject(await api.post('/api/v1/execute', { module: 'marketing', action: 'outbox', params })).result);
        return {
          items: asArray(result.messages).map(normalize).filter((m) => m !== null),
          nextBefore: typeof result.nextBefore === 'string' ? result.nextBefore : null,
        };
      },
      render: (failed) => this.render(failed),
    });
    /** dashboard.js shows this panel's unexpected failures here, as on every panel. */
    this.status = this.pages.status;
  }

  clear() {
    this.pages.clear();
    replace(this.rows);
    this.updated.textContent = '';
  }

  refresh() {
    return this.pages.refresh();
  }

  /** A finished task may have sent a campaign. */
  onTaskCompleted() {
    this.pages.onTaskCompleted();
  }

  render(failed) {
    if (!failed) this.updated.textContent = `Read ${formatTime(new Date().toISOString())}.`;
    const messages = this.pages.items;
    if (!messages.length) {
      const text = failed ? 'No messages to show.' : 'The outbox is empty — campaign messages arrive here when marketing.send-due sends them.';
      return replace(this.rows, h('tr', {}, h('td', { colspan: 4, class: 'empty' }, text)));
    }
    replace(this.rows, messages.map(messageRow));
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
