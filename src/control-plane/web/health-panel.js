// Health: GET /health/detailed (public), then every `health.summary` of the `health` channel.

import { describeError } from './api.js';
import { asNumber, asObject, asString, formatTime, h, isObject, replace, setStatus } from './dom.js';

export class HealthPanel {
  constructor(root, api) {
    this.api = api;
    this.status = root.querySelector('.status');
    this.overall = root.querySelector('.overall');
    this.checks = root.querySelector('tbody');
    this.updated = root.querySelector('.updated');
  }

  clear() {
    replace(this.checks);
    replace(this.overall);
    this.updated.textContent = '';
    setStatus(this.status, '');
  }

  async refresh() {
    try {
      // 503 carries the same body with status "down" (the database is unreachable).
      this.render(await this.api.get('/health/detailed', undefined, { auth: false, okStatuses: [503] }), new Date().toISOString(), 'read over HTTP');
      setStatus(this.status, '');
    } catch (err) {
      setStatus(this.status, describeError(err), 'error');
    }
  }

  onEvent(event, data, at) {
    if (event === 'health.summary') this.render(data, at, 'live');
  }

  render(raw, at, how) {
    const body = asObject(raw);
    const status = asString(body.status, 'unknown');
    replace(this.overall, h('span', { class: `badge status-${status}`, dataset: { health: status } }, status));
    const checks = Object.entries(asObject(body.checks));
    if (!checks.length) replace(this.checks, h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'No checks reported.')));
    else replace(this.checks, checks.map(([name, check]) => checkRow(name, asObject(check))));
    this.updated.textContent = `Updated ${formatTime(at)} (${how}).`;
  }
}

function checkRow(name, check) {
  const status = asString(check.status, 'unknown');
  const latency = asNumber(check.latencyMs);
  const details = Object.entries(check)
    .filter(([k, v]) => k !== 'status' && k !== 'latencyMs' && !isObject(v))
    .map(([k, v]) => `${k}: ${asString(v, JSON.stringify(v))}`)
    .join(' · ');
  return h('tr', { dataset: { check: name } },
    h('td', {}, name),
    h('td', {}, h('span', { class: `badge status-${status}`, text: status })),
    h('td', { class: 'num' }, latency === null ? '—' : `${latency.toFixed(1)} ms`),
    h('td', { class: 'meta' }, details));
}
