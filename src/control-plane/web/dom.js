// Small DOM and formatting helpers for the dashboard. Everything the server sends is put on the
// page as text (textContent), never as HTML, so data cannot inject markup or script.

/**
 * Creates an element: h('li', { class: 'row', dataset: { id } }, 'text', child).
 * Attributes named on* are refused: the page's CSP forbids inline handlers, use addEventListener.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) throw new Error(`h(): use addEventListener, not ${name}`);
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'text') el.textContent = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// Defensive readers: the page must survive any answer shape.
export const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asObject = (v) => (isObject(v) ? v : {});
export const asArray = (v) => (Array.isArray(v) ? v : []);
export const asString = (v, fallback = '') => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback);
export const asNumber = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function formatUsd(value) {
  const n = asNumber(value);
  if (n === null) return '—';
  if (n !== 0 && Math.abs(n) < 0.01) return `$${n.toFixed(6)}`;
  return `$${n.toFixed(2)}`;
}

export function formatBytes(value) {
  const n = asNumber(value);
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatTime(iso) {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '—';
  return new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatDuration(seconds) {
  const n = asNumber(seconds);
  if (n === null) return '—';
  const m = Math.floor(n / 60);
  const s = n - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}

export const formatDb = (value, unit) => {
  const n = asNumber(value);
  return n === null ? '—' : `${n.toFixed(1)} ${unit}`;
};

/** A panel's status line: '' hides it; kind is 'error', 'note' or 'ok'. */
export function setStatus(el, text, kind = 'note') {
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}
