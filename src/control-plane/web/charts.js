// The dashboard's charts, drawn as SVG by hand (no chart library, no build step). Each function
// takes plain numbers and returns an <svg> element; data it cannot use is skipped, not thrown on.

import { asNumber, formatUsd } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  for (const child of children) if (child !== undefined && child !== null) el.append(child instanceof Node ? child : String(child));
  return el;
}

const title = (text) => s('title', {}, text);
const round = (n) => Math.round(n * 100) / 100;

/** "Nice" tick values (steps of 1, 2, 2.5 or 5 × 10^n) from 0 to the first one at or above max. */
function ticks(max, count = 4) {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((v) => v >= raw) ?? raw;
  return Array.from({ length: Math.ceil(max / step - 1e-9) + 1 }, (_, i) => i * step);
}

/**
 * Daily AI spend of one month as bars, the running total as a line, and the monthly budget as a
 * dashed line, on one dollar axis.
 * @param {{ month: string, daysInMonth: number, daily: Map<number, {costUsd: number, calls: number}>, budgetUsd: number|null }} input
 *   daily: day of month (1-based) → spend
 */
export function costChart({ month, daysInMonth, daily, budgetUsd }) {
  const W = 960, H = 240, L = 70, R = 14, T = 16, B = 30;
  const plotW = W - L - R, plotH = H - T - B;
  let running = 0;
  const days = Array.from({ length: daysInMonth }, (_, i) => {
    const d = daily.get(i + 1);
    const cost = asNumber(d?.costUsd) ?? 0;
    running += cost;
    return { day: i + 1, cost, calls: asNumber(d?.calls) ?? 0, total: running };
  });
  const budget = asNumber(budgetUsd);
  const peak = Math.max(running, budget ?? 0, ...days.map((d) => d.cost));
  const scale = ticks(peak > 0 ? peak * 1.05 : 1);
  const yMax = scale[scale.length - 1];
  const x = (day) => L + ((day - 0.5) / daysInMonth) * plotW;
  const y = (usd) => T + plotH - (usd / yMax) * plotH;
  const slot = plotW / daysInMonth;

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart cost-chart', role: 'img', 'aria-label': `AI spend in ${month} against the monthly budget` });
  for (const v of scale) {
    svg.append(s('line', { x1: L, x2: W - R, y1: round(y(v)), y2: round(y(v)), class: 'grid' }));
    svg.append(s('text', { x: L - 6, y: round(y(v)) + 4, class: 'axis-label', 'text-anchor': 'end' }, formatUsd(v)));
  }
  for (const d of days) {
    if (d.day === 1 || d.day % 5 === 0) svg.append(s('text', { x: round(x(d.day)), y: H - 10, class: 'axis-label', 'text-anchor': 'middle' }, String(d.day)));
    if (d.cost <= 0) continue;
    const top = y(d.cost);
    // At least one unit tall, so a day with spend never looks like a day without.
    svg.append(s('rect', { x: round(x(d.day) - slot * 0.35), y: round(Math.min(top, T + plotH - 1)), width: round(slot * 0.7), height: round(Math.max(1, T + plotH - top)), class: 'bar' },
      title(`${month.slice(0, 8)}${String(d.day).padStart(2, '0')}: ${formatUsd(d.cost)} in ${d.calls} call(s)`)));
  }
  const today = new Date();
  const lastDay = `${today.getUTCFullYear()}-${String(today.getUTCMonth() + 1).padStart(2, '0')}` === month.slice(0, 7) ? today.getUTCDate() : daysInMonth;
  const points = days.filter((d) => d.day <= lastDay).map((d) => `${round(x(d.day))},${round(y(d.total))}`);
  if (points.length) svg.append(s('polyline', { points: points.join(' '), class: 'cumulative' }, title(`Spent this month: ${formatUsd(running)}`)));
  if (budget !== null) {
    svg.append(s('line', { x1: L, x2: W - R, y1: round(y(budget)), y2: round(y(budget)), class: 'budget' }, title(`Monthly budget: ${formatUsd(budget)}`)));
    svg.append(s('text', { x: W - R - 4, y: round(y(budget)) - 5, class: 'budget-label', 'text-anchor': 'end' }, `budget ${formatUsd(budget)}`));
  }
  svg.append(s('line', { x1: L, x2: W - R, y1: T + plotH, y2: T + plotH, class: 'axis' }));
  return svg;
}

/** Shared geometry of the two track charts, so their time axes line up. */
const TRACK = { W: 800, L: 48, R: 8 };
const trackX = (fraction) => TRACK.L + fraction * (TRACK.W - TRACK.L - TRACK.R);

/**
 * A waveform from [min, max] pairs (−1..1), one vertical stroke per bucket, with a playhead
 * that setPlayhead(fraction) moves. Clicking it calls onSeek(fraction).
 */
export function waveformChart(peaks, onSeek) {
  const H = 140, T = 6, B = 6, mid = T + (H - T - B) / 2, half = (H - T - B) / 2;
  const svg = s('svg', { viewBox: `0 0 ${TRACK.W} ${H}`, class: 'chart waveform', role: 'img', 'aria-label': 'Waveform (minimum and maximum sample per slice)' });
  svg.append(s('line', { x1: TRACK.L, x2: TRACK.W - TRACK.R, y1: mid, y2: mid, class: 'grid' }));
  for (const [v, label] of [[1, '+1'], [0, '0'], [-1, '−1']]) svg.append(s('text', { x: TRACK.L - 6, y: round(mid - v * half) + 4, class: 'axis-label', 'text-anchor': 'end' }, label));
  const n = peaks.length;
  let d = '';
  peaks.forEach((pair, i) => {
    const lo = Math.max(-1, Math.min(1, asNumber(Array.isArray(pair) ? pair[0] : null) ?? 0));
    const hi = Math.max(-1, Math.min(1, asNumber(Array.isArray(pair) ? pair[1] : null) ?? 0));
    const px = round(trackX((i + 0.5) / Math.max(1, n)));
    // A silent bucket still gets a hairline, so the track's extent is visible.
    d += `M${px} ${round(mid - Math.max(hi, lo + 0.004) * half)}V${round(mid - lo * half)}`;
  });
  svg.append(s('path', { d, class: 'peaks' }));
  const playhead = s('line', { x1: TRACK.L, x2: TRACK.L, y1: 0, y2: H, class: 'playhead', visibility: 'hidden' });
  svg.append(playhead);
  if (onSeek) {
    svg.classList.add('seekable');
    svg.addEventListener('click', (e) => {
      const box = svg.getBoundingClientRect();
      const vx = ((e.clientX - box.left) / box.width) * TRACK.W;
      onSeek(Math.max(0, Math.min(1, (vx - TRACK.L) / (TRACK.W - TRACK.L - TRACK.R))));
    });
  }
  return {
    svg,
    setPlayhead(fraction) {
      const f = asNumber(fraction);
      playhead.setAttribute('visibility', f === null ? 'hidden' : 'visible');
      if (f === null) return;
      const px = String(round(trackX(Math.max(0, Math.min(1, f)))));
      playhead.setAttribute('x1', px);
      playhead.setAttribute('x2', px);
    },
  };
}

/**
 * Short-term loudness (LUFS, 3 s window) over time as a line, broken where it is null (below
 * −70 LUFS), with the integrated loudness as a dashed line.
 */
export function loudnessChart({ lufs, hopSeconds, windowSeconds, durationSeconds, integratedLufs }) {
  const H = 150, T = 8, B = 22, FLOOR = -60, CEIL = 0;
  const plotH = H - T - B;
  const y = (v) => T + ((CEIL - Math.max(FLOOR, Math.min(CEIL, v))) / (CEIL - FLOOR)) * plotH;
  const svg = s('svg', { viewBox: `0 0 ${TRACK.W} ${H}`, class: 'chart loudness', role: 'img', 'aria-label': 'Short-term loudness in LUFS over time' });
  for (let v = CEIL; v >= FLOOR; v -= 10) {
    svg.append(s('line', { x1: TRACK.L, x2: TRACK.W - TRACK.R, y1: round(y(v)), y2: round(y(v)), class: 'grid' }));
    svg.append(s('text', { x: TRACK.L - 6, y: round(y(v)) + 4, class: 'axis-label', 'text-anchor': 'end' }, String(v)));
  }
  const duration = asNumber(durationSeconds);
  const hop = asNumber(hopSeconds);
  const windowS = asNumber(windowSeconds) ?? 0;
  if (duration && duration > 0) {
    const step = duration > 120 ? 30 : duration > 30 ? 10 : duration > 10 ? 2 : 1;
    for (let t = 0; t <= duration + 1e-9; t += step) {
      svg.append(s('text', { x: round(trackX(t / duration)), y: H - 6, class: 'axis-label', 'text-anchor': 'middle' }, `${t}s`));
    }
  }
  if (duration && duration > 0 && hop && hop > 0) {
    let d = '';
    let pen = false;
    lufs.forEach((value, i) => {
      const v = asNumber(value);
      if (v === null) {
        pen = false;
        return;
      }
      // Each value covers [i·hop, i·hop + window): drawn at the middle of its window.
      const t = Math.min(duration, i * hop + windowS / 2);
      d += `${pen ? 'L' : 'M'}${round(trackX(t / duration))} ${round(y(v))}`;
      pen = true;
    });
    if (d) svg.append(s('path', { d, class: 'lufs' }, title('Short-term loudness (LUFS)')));
  }
  const integrated = asNumber(integratedLufs);
  if (integrated !== null) {
    svg.append(s('line', { x1: TRACK.L, x2: TRACK.W - TRACK.R, y1: round(y(integrated)), y2: round(y(integrated)), class: 'integrated' }, title(`Integrated: ${integrated.toFixed(1)} LUFS`)));
  }
  return svg;
}
