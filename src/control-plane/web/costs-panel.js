// Costs: this month's AI spend per day (GET /api/v1/ai/costs, admin) against the monthly budget
// (GET /api/v1/ai/budget, any key), kept current by the `costs` channel (ai.call, budget.alert).

import { describeError } from './api.js';
import { costChart } from './charts.js';
import { SnapshotGate } from './snapshot-gate.js';
import { asArray, asNumber, asObject, asString, formatTime, formatUsd, h, replace, setStatus } from './dom.js';

export class CostsPanel {
  constructor(root, api) {
    this.api = api;
    this.status = root.querySelector('.status');
    this.chart = root.querySelector('.chart-box');
    this.scopesEl = root.querySelector('.scopes');
    this.alerts = root.querySelector('.alerts');
    this.gate = new SnapshotGate(() => this.read(), (...e) => this.apply(...e), () => this.render());
    this.clear();
  }

  clear() {
    this.month = null;
    this.scopes = [];
    /** Day of month → { costUsd, calls }; null when the key may not read the ledger. */
    this.daily = null;
    this.alertItems = [];
    replace(this.chart);
    replace(this.scopesEl);
    replace(this.alerts);
    setStatus(this.status, '');
  }

  /** Reads the budgets and the month's ledger; events arriving meanwhile are applied after. */
  refresh() {
    return this.gate.refresh();
  }

  async read() {
    const [budget, costs] = await Promise.allSettled([this.api.get('/api/v1/ai/budget'), this.api.get('/api/v1/ai/costs', { groupBy: 'day' })]);
    const notes = [];
    let kind = 'note';
    if (budget.status === 'fulfilled') {
      const b = asObject(budget.value);
      this.month = asString(b.month) || null;
      this.scopes = asArray(b.scopes).map(asObject).filter((s) => typeof s.scope === 'string');
    } else {
      notes.push(`Budget: ${describeError(budget.reason)}`);
      kind = 'error';
    }
    if (costs.status === 'fulfilled') {
      this.daily = new Map();
      for (const row of asArray(asObject(costs.value).rows)) {
        const r = asObject(row);
        const day = dayOfMonth(asString(r.key));
        if (day !== null) this.daily.set(day, { costUsd: asNumber(r.costUsd) ?? 0, calls: asNumber(r.calls) ?? 0 });
      }
      this.month ??= monthOf(asString(asObject(costs.value).from));
    } else {
      this.daily = null;
      const forbidden = costs.reason && costs.reason.status === 403;
      notes.push(forbidden ? 'Daily spend (GET /api/v1/ai/costs) needs an API key with the “admin” scope: showing the budgets only.' : `Daily spend: ${describeError(costs.reason)}`);
      if (!forbidden) kind = 'error';
    }
    setStatus(this.status, notes.join(' '), kind);
  }

  onEvent(event, data, at) {
    this.gate.event(event, data, at);
  }

  /** Applies one event; false when it changes nothing shown. */
  apply(event, raw, at) {
    const data = asObject(raw);
    if (event === 'ai.call') {
      if (this.month && asString(data.month) && asString(data.month) !== this.month) {
        void this.refresh(); // a new month began
        return false;
      }
      const day = new Date(Date.parse(at) || Date.now()).getUTCDate();
      if (this.daily) {
        const d = this.daily.get(day) ?? { costUsd: 0, calls: 0 };
        this.daily.set(day, { costUsd: d.costUsd + (asNumber(data.costUsd) ?? 0), calls: d.calls + 1 });
      }
      for (const s of asArray(data.scopes).map(asObject)) {
        const i = this.scopes.findIndex((x) => x.scope === s.scope);
        if (i >= 0) this.scopes[i] = s; // only the scopes this panel shows (global and the key's own)
      }
    } else if (event === 'budget.alert') {
      this.alertItems = [{ ...data, at }, ...this.alertItems].slice(0, 5);
    } else {
      return false;
    }
    return true;
  }

  render() {
    const global = this.scopes.find((s) => s.scope === 'global');
    if (this.daily && this.month) {
      replace(this.chart, costChart({ month: this.month, daysInMonth: daysIn(this.month), daily: this.daily, budgetUsd: global ? global.limitUsd : null }),
        h('p', { class: 'legend' }, h('span', { class: 'key bar' }), ' daily spend ', h('span', { class: 'key cumulative' }), ' spent this month ',
          h('span', { class: 'key budget' }), global && asNumber(global.limitUsd) !== null ? ' monthly budget' : ' no global monthly budget set (AI_ROUTER_MONTHLY_BUDGET)'));
    } else {
      replace(this.chart);
    }
    replace(this.scopesEl, this.scopes.map((s) => scopeRow(s)));
    replace(this.alerts, this.alertItems.map((a) =>
      h('li', { class: `alert level-${asString(a.level)}` }, `${formatTime(a.at)}: ${asString(a.scope)} crossed its ${a.level === 'hard' ? 'limit' : 'soft alert'} — ${formatUsd(a.spentUsd)} of ${formatUsd(a.limitUsd)}`)));
  }
}

function scopeRow(s) {
  const used = asNumber(s.usedPercent);
  const limit = asNumber(s.limitUsd);
  const bar = h('div', { class: 'meter' }, h('div', { class: `fill state-${asString(s.state)}` }));
  bar.firstChild.style.width = `${Math.max(0, Math.min(100, used ?? 0))}%`;
  return h('div', { class: 'scope', dataset: { scope: asString(s.scope) } },
    h('div', {}, h('strong', {}, asString(s.scope)), ' ', h('span', { class: `badge state-${asString(s.state)}`, text: asString(s.state, '?') })),
    limit === null ? null : bar,
    h('div', { class: 'meta' }, limit === null
      ? `${formatUsd(s.spentUsd)} spent, no limit`
      : `${formatUsd(s.spentUsd)} of ${formatUsd(limit)} (${used === null ? '—' : used.toFixed(1)} %), ${formatUsd(s.remainingUsd)} left${asNumber(s.reservedUsd) ? `, ${formatUsd(s.reservedUsd)} reserved` : ''}`));
}

const monthOf = (iso) => (/^\d{4}-\d{2}/.test(iso) ? `${iso.slice(0, 7)}-01` : null);
const dayOfMonth = (date) => (/^\d{4}-\d{2}-\d{2}$/.test(date) ? Number(date.slice(8, 10)) : null);

function daysIn(month) {
  const [y, m] = month.split('-').map(Number);
  return y && m ? new Date(Date.UTC(y, m, 0)).getUTCDate() : 31;
}
