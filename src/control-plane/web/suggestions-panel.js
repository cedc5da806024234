// Suggestions: the proactive system's active suggestions (GET /api/v1/suggestions), kept current
// by the `suggestions` channel (raised, updated, resolved). Each shows the signal that caused it;
// Dismiss hides it for this key until the signal clears and comes back. One this key keeps
// dismissing is marked muted (no longer pushed to it); Unmute forgets those dismissals. For an
// admin key, a line says where suggestions are also sent (webhook, e-mail) and whether that works.

import { describeError } from './api.js';
import { asArray, asObject, asString, formatTime, h, isObject, replace, setStatus } from './dom.js';

export class SuggestionsPanel {
  constructor(root, api) {
    this.api = api;
    this.status = root.querySelector('.status');
    this.list = root.querySelector('ul.suggestions');
    this.channels = root.querySelector('.channels');
    root.querySelector('button.reload').addEventListener('click', () => void this.refresh());
    /** id → suggestion */
    this.items = new Map();
    this.channelsTimer = undefined;
  }

  clear() {
    this.items.clear();
    replace(this.list);
    replace(this.channels);
    this.channels.hidden = true;
    setStatus(this.status, '');
  }

  async refresh() {
    try {
      const body = asObject(await this.api.get('/api/v1/suggestions'));
      this.items = new Map(asArray(body.suggestions).map(asObject).filter((s) => typeof s.id === 'string').map((s) => [s.id, s]));
      setStatus(this.status, '');
    } catch (err) {
      setStatus(this.status, describeError(err), 'error');
    }
    this.render();
    await this.refreshChannels();
  }

  /** The channels line: admin keys only (another key's 403 just hides it). */
  async refreshChannels() {
    try {
      const body = asObject(await this.api.get('/api/v1/suggestions/channels'));
      this.renderChannels(asArray(body.channels).map(asObject));
    } catch {
      replace(this.channels);
      this.channels.hidden = true;
    }
  }

  onEvent(event, data) {
    const s = asObject(data);
    if (typeof s.id !== 'string') return;
    if (event === 'suggestion.resolved') this.items.delete(s.id);
    else this.items.set(s.id, s);
    this.render();
    // The channels send after the reading: look again once they had time to.
    clearTimeout(this.channelsTimer);
    this.channelsTimer = setTimeout(() => void this.refreshChannels(), 3_000);
  }

  renderChannels(channels) {
    const configured = channels.filter((c) => c.configured === true);
    this.channels.hidden = false;
    if (!configured.length) return replace(this.channels, 'Shown here only: no webhook or e-mail is configured (docs/PROACTIVE.md).');
    replace(this.channels, 'Also sent to: ', configured.map((c, i) => {
      const where = c.channel === 'email' ? `e-mail to ${asArray(c.recipients).length} recipient(s) via ${asString(c.server)}` : `${asString(c.format)} webhook at ${asString(c.target)}`;
      const failure = asObject(c.lastFailure);
      const state = c.failing
        ? h('span', { class: 'badge severity-critical', title: `Since ${formatTime(failure.at)} on ${asString(failure.instance)}: ${asString(failure.reason)}`, text: 'failing' })
        : h('span', { class: 'badge ok', text: 'working' });
      return h('span', { class: 'channel', dataset: { channel: asString(c.channel), failing: c.failing ? 'true' : 'false' } }, i ? ' · ' : '', `${where} (${asString(c.minSeverity)}+) `, state,
        c.failing ? ` ${asString(failure.reason)}` : '');
    }));
  }

  async dismiss(id, button) {
    button.disabled = true;
    try {
      await this.api.post(`/api/v1/suggestions/${encodeURIComponent(id)}/dismiss`, {});
      this.items.delete(id);
      this.render();
    } catch (err) {
      setStatus(this.status, describeError(err), 'error');
      button.disabled = false;
    }
  }

  async unmute(id, button) {
    button.disabled = true;
    try {
      await this.api.delete(`/api/v1/suggestions/feedback/${encodeURIComponent(id)}`);
      const s = this.items.get(id);
      if (s) this.items.set(id, { ...s, muted: undefined });
      this.render();
    } catch (err) {
      setStatus(this.status, describeError(err), 'error');
      button.disabled = false;
    }
  }

  render() {
    const rank = { critical: 0, warning: 1, info: 2 };
    const items = [...this.items.values()].sort((a, b) => (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3));
    if (!items.length) return replace(this.list, h('li', { class: 'empty' }, 'Nothing needs attention.'));
    replace(this.list, items.map((s) => {
      const button = h('button', { type: 'button', class: 'dismiss' }, 'Dismiss');
      button.addEventListener('click', () => void this.dismiss(s.id, button));
      const signal = Object.entries(asObject(s.signal))
        .filter(([, v]) => !isObject(v))
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : asString(v, JSON.stringify(v))}`)
        .join(' · ');
      const muted = isObject(s.muted) ? s.muted : undefined;
      const mutedBits = [];
      if (muted) {
        const unmute = h('button', { type: 'button', class: 'unmute' }, 'Unmute');
        unmute.addEventListener('click', () => void this.unmute(s.id, unmute));
        const why = `You dismissed it ${asString(muted.dismissals, '?')} times lately (last ${formatTime(muted.lastDismissedAt)}): it is no longer pushed to you`;
        mutedBits.push(' ', h('span', { class: 'badge muted', title: why, text: 'muted' }), ' ', unmute);
      }
      return h('li', { dataset: { suggestion: s.id, severity: asString(s.severity, 'info') } },
        h('div', {}, h('span', { class: `badge severity-${asString(s.severity, 'info')}`, text: asString(s.severity, 'info') }), ' ', h('strong', {}, asString(s.title, s.id)), ' ', button, ...mutedBits),
        h('p', {}, asString(s.message, '')),
        h('p', { class: 'meta' }, `${asString(s.action, '')} — since ${formatTime(s.raisedAt)}`),
        h('p', { class: 'meta signal' }, `Signal: ${signal}`));
    }));
  }
}
