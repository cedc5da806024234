// The dashboard's entry point: asks for the API key once (kept in this tab's sessionStorage),
// builds the panels, reads their state over HTTP and keeps it current over the WebSocket hub.

import { AnalyticsPanel } from './analytics-panel.js';
import { Api, describeError } from './api.js';
import { ApprovalsPanel } from './approvals-panel.js';
import { CostsPanel } from './costs-panel.js';
import { asArray, asObject, asString, setStatus } from './dom.js';
import { HealthPanel } from './health-panel.js';
import { LiveSocket } from './live.js';
import { OutboxPanel } from './outbox-panel.js';
import { TasksPanel } from './tasks-panel.js';
import { CATALOG_SOURCE, TracksPanel } from './tracks-panel.js';
import { SuggestionsPanel } from './suggestions-panel.js';

const STORAGE_KEY = 'jarvis.dashboard.apiKey';

/** sessionStorage may be unavailable (disabled storage): the key then lives only in this page. */
const keyStore = {
  memory: null,
  get() {
    try {
      return sessionStorage.getItem(STORAGE_KEY) ?? this.memory;
    } catch {
      return this.memory;
    }
  },
  set(key) {
    this.memory = key;
    try {
      sessionStorage.setItem(STORAGE_KEY, key);
    } catch {
      // Kept in memory only: asked again after a reload.
    }
  },
  forget() {
    this.memory = null;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Nothing stored.
    }
  },
};

const $ = (selector) => document.querySelector(selector);
const banner = $('#banner');
const keySection = $('#key-section');
const keyForm = $('#key-form');
const keyStatus = keyForm.querySelector('.status');
const main = $('#panels');
const liveState = $('#live-state');
const whoami = $('#whoami');

// A 401 on any call means the kept key no longer works (revoked): say so above every panel.
const api = new Api(() => keyStore.get(), (err) => setStatus(banner, describeError(err), 'error'));

const panels = {
  tasks: new TasksPanel($('#tasks'), api),
  approvals: new ApprovalsPanel($('#approvals'), api),
  suggestions: new SuggestionsPanel($('#suggestions'), api),
  health: new HealthPanel($('#health'), api),
  costs: new CostsPanel($('#costs'), api),
  tracks: new TracksPanel($('#tracks'), api),
  catalog: new TracksPanel($('#catalog'), api, CATALOG_SOURCE),
  analytics: new AnalyticsPanel($('#analytics'), api),
  outbox: new OutboxPanel($('#outbox'), api),
};
/** Panels with no channel of their own: what they show is made by tasks, so a finished task re-reads them. */
const AFTER_TASKS = ['analytics', 'outbox', 'catalog'];

/** One panel's failure (a bug, an answer of an unexpected shape) is shown on that panel only. */
function guarded(name, action) {
  try {
    const result = action();
    if (result && typeof result.catch === 'function') result.catch((err) => panelFailure(name, err));
  } catch (err) {
    panelFailure(name, err);
  }
}

function panelFailure(name, err) {
  console.error(`dashboard panel ${name}:`, err);
  setStatus(panels[name].status, `This panel hit an unexpected error: ${err instanceof Error ? err.message : err}`, 'error');
}

const live = new LiveSocket({
  getKey: () => keyStore.get(),
  channels: ['tasks', 'approvals', 'costs', 'health', 'suggestions'],
  onReady(ready) {
    const principal = asObject(asObject(ready).principal);
    const scopes = asArray(principal.scopes).map((s) => asString(s));
    whoami.textContent = `Key ${asString(principal.id, '?')} · scopes: ${scopes.length ? scopes.join(', ') : 'none (integration)'}`;
    guarded('approvals', () => panels.approvals.setScopes(scopes));
    // Events are not replayed: after every (re)connection, read the current state again.
    for (const name of ['tasks', 'approvals', 'health', 'costs', 'suggestions', ...AFTER_TASKS]) guarded(name, () => panels[name].refresh());
  },
  onEvent(channel, event, data, at) {
    if (channel in panels) guarded(channel, () => panels[channel].onEvent(event, data, at));
    if (channel === 'tasks' && event === 'task.completed') for (const name of AFTER_TASKS) guarded(name, () => panels[name].onTaskCompleted());
  },
  onState(state, text) {
    liveState.textContent = text;
    liveState.dataset.state = state;
  },
  onChannelError(channel, message) {
    if (channel in panels) setStatus(panels[channel].status, `Live updates refused: ${message}`, 'note');
  },
});

function start() {
  keySection.hidden = true;
  main.hidden = false;
  $('#session').hidden = false;
  setStatus(banner, '');
  // Read everything at once (the live connection may be slow or refused), and again once live.
  for (const name of Object.keys(panels)) guarded(name, () => panels[name].refresh());
  live.start();
}

function forget() {
  live.stop();
  keyStore.forget();
  for (const name of Object.keys(panels)) guarded(name, () => panels[name].clear());
  whoami.textContent = '';
  main.hidden = true;
  $('#session').hidden = true;
  keySection.hidden = false;
  setStatus(banner, '');
  keyForm.reset();
  setStatus(keyStatus, 'The key was removed from this tab.', 'note');
}

keyForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = keyForm.querySelector('[name=apiKey]');
  const key = input.value.trim();
  if (!key) return setStatus(keyStatus, 'Enter an API key.', 'error');
  const button = keyForm.querySelector('button[type=submit]');
  button.disabled = true;
  setStatus(keyStatus, 'Checking the key…', 'note');
  try {
    // Checked before it is kept: GET /status needs any valid key.
    await new Api(() => key).get('/status');
    keyStore.set(key);
    input.value = '';
    setStatus(keyStatus, '');
    start();
  } catch (err) {
    setStatus(keyStatus, describeError(err), 'error');
  } finally {
    button.disabled = false;
  }
});

$('#forget-key').addEventListener('click', forget);
window.addEventListener('unhandledrejection', (e) => console.error('dashboard: unhandled', e.reason));

$('#boot').hidden = true;
if (keyStore.get()) start();
else keySection.hidden = false;
