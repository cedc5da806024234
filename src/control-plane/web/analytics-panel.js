// Analytics dashboards: those rendered by the DAWG's analytics.dashboard, newest first
// (GET /api/v1/dashboards), and for the chosen one its chart images. Images and the page are
// fetched with the key and shown from blob: URLs (the page's CSP allows images from blob:).

import { describeError } from './api.js';
import { asArray, asNumber, asObject, asString, formatTime, h, replace } from './dom.js';
import { PagedList } from './paged-list.js';

const PAGE = 20;
/** The key goes only to the control plane's dashboard files, whatever path an answer names. */
const FILE_PATH = /^\/api\/v1\/dashboards\/dsh_[0-9a-f-]{36}\/files\/[A-Za-z0-9.-]+$/;

export class AnalyticsPanel {
  constructor(root, api) {
    this.api = api;
    this.list = root.querySelector('.dashboards');
    this.view = root.querySelector('.dashboard-view');
    this.pages = new PagedList(root, {
      what: 'Analytics dashboards',
      fetchPage: async (before) => {
        const body = asObject(await api.get('/api/v1/dashboards', { limit: PAGE, before: before ?? undefined }));
        return {
          items: asArray(body.dashboards).map(normalize).filter((d) => d !== null),
          nextBefore: typeof body.nextBefore === 'string' ? body.nextBefore : null,
        };
      },
      render: (failed) => this.afterRead(failed),
    });
    /** dashboard.js shows this panel's unexpected failures here, as on every panel. */
    this.status = this.pages.status;
    this.selected = null;
    /** True once a person chose a dashboard: a newer one then does not replace it. */
    this.pinned = false;
    this.shown = null;
    this.blobUrls = [];
  }

  get dashboards() {
    return this.pages.items;
  }

  clear() {
    this.pages.clear();
    this.selected = null;
    this.pinned = false;
    this.showView(null);
    replace(this.list);
  }

  refresh() {
    return this.pages.refresh();
  }

  /** A finished task may have rendered a dashboard (the hub announces no dashboards of its own). */
  onTaskCompleted() {
    this.pages.onTaskCompleted();
  }

  afterRead(failed) {
    if (!this.dashboards.some((d) => d.id === this.selected)) this.pinned = false;
    if (!this.pinned) this.selected = this.dashboards[0]?.id ?? null;
    this.renderList(failed);
    this.showView(this.dashboards.find((d) => d.id === this.selected) ?? null);
  }

  renderList(failed) {
    if (!this.dashboards.length) {
      const text = failed ? 'No dashboards to show.' : 'No dashboards yet — run analytics.dashboard.';
      return replace(this.list, h('li', { class: 'empty' }, text));
    }
    replace(this.list, this.dashboards.map((d) => {
      const images = d.charts.filter((c) => c.imagePath).length;
      const button = h('button', { type: 'button', class: 'dashboard', 'aria-pressed': String(this.selected === d.id) },
        h('span', { class: 'name' }, d.title),
        h('span', { class: 'meta' }, ` ${formatTime(d.createdAt)} · ${plural(d.charts.length, 'chart')}${images < d.charts.length ? ` (${images} image${images === 1 ? '' : 's'})` : ''}`));
      button.addEventListener('click', () => this.choose(d.id));
      return h('li', { dataset: { dashboardId: d.id } }, button);
    }));
  }

  choose(id) {
    this.selected = id;
    this.pinned = true;
    this.renderList(false);
    this.showView(this.dashboards.find((d) => d.id === id) ?? null);
  }

  /** Draws the dashboard unless it is already on screen, so a refresh does not fetch its images again. */
  showView(dashboard) {
    if (dashboard?.id === this.shown && dashboard) return;
    this.releaseBlobs();
    this.shown = dashboard?.id ?? null;
    if (!dashboard) return replace(this.view);
    const pageStatus = h('span', { class: 'meta page-status' });
    const open = h('button', { type: 'button', class: 'open-page', hidden: !dashboard.htmlPath }, 'Open page');
    open.addEventListener('click', () => void this.openPage(dashboard, open, pageStatus));
    const rows = `${plural(dashboard.rowCount ?? 0, 'row')}${dashboard.truncated ? ' (the query matched more; only these are charted)' : ''}`;
    replace(this.view,
      h('h3', {}, dashboard.title),
      h('p', { class: 'meta dashboard-facts' }, `${rows} · rendered ${formatTime(dashboard.createdAt)} · ${dashboard.id}`),
      h('div', { class: 'actions' }, open, ' ', pageStatus),
      h('div', { class: 'chart-grid' }, dashboard.charts.map((chart) => this.chartFigure(dashboard.id, chart))));
  }

  chartFigure(dashboardId, chart) {
    const caption = h('figcaption', {}, chart.title || `Chart ${chart.index + 1}`, ' ', h('span', { class: 'meta' }, chart.type));
    if (!chart.imagePath) {
      return h('figure', { class: 'dashboard-chart', dataset: { chartIndex: chart.index } }, h('p', { class: 'meta' }, 'A table: shown on the page (Open page).'), caption);
    }
    const img = h('img', { class: 'chart-image', alt: chart.title || `${chart.type} chart`, hidden: true });
    const note = h('p', { class: 'meta chart-note' }, 'Loading the image…');
    img.addEventListener('error', () => {
      note.textContent = 'The image could not be shown.';
      note.hidden = false;
    });
    void this.loadImage(dashboardId, chart, img, note);
    return h('figure', { class: 'dashboard-chart', dataset: { chartIndex: chart.index } }, img, note, caption);
  }

  /** The SVG (sharp at any size), else the PNG. */
  async loadImage(dashboardId, chart, img, note) {
    let failure = null;
    for (const path of [chart.svgPath, chart.pngPath]) {
      if (!path) continue;
      try {
        const blob = await this.api.blob(path, { timeoutMs: 30_000 });
        if (!blob.type.startsWith('image/')) throw new Error(`the answer is ${blob.type || 'untyped'}, not an image`);
        if (this.shown !== dashboardId) return; // another dashboard is on screen now
        img.src = this.keep(URL.createObjectURL(blob));
        img.hidden = false;
        note.hidden = true;
        return;
      } catch (err) {
        failure = err;
      }
    }
    if (this.shown === dashboardId) note.textContent = `The image could not be read: ${describeError(failure)}`;
  }

  /**
   * Opens the stored page in a new tab from a blob: URL. The page is escaped by the DAWG and runs
   * no script; a blob: document also inherits this page's CSP, and noopener gives it no handle on
   * this tab.
   */
  async openPage(dashboard, button, status) {
    button.disabled = true;
    status.textContent = 'Reading the page…';
    try {
      const blob = await this.api.blob(dashboard.htmlPath, { timeoutMs: 30_000 });
      if (!blob.type.startsWith('text/html')) throw new Error(`the answer is ${blob.type || 'untyped'}, not a page`);
      if (this.shown !== dashboard.id) return;
      const url = this.keep(URL.createObjectURL(blob));
      window.open(url, '_blank', 'noopener');
      replace(status, 'Opened in a new tab (if the browser blocked it: ', h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, 'open the page'), ').');
    } catch (err) {
      status.textContent = `The page could not be read: ${describeError(err)}`;
    } finally {
      button.disabled = false;
    }
  }

  keep(url) {
    this.blobUrls.push(url);
    return url;
  }

  /** Downloaded images and pages stay in memory until their URLs are revoked. */
  releaseBlobs() {
    for (const url of this.blobUrls) URL.revokeObjectURL(url);
    this.blobUrls = [];
  }
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const filePath = (value) => (typeof value === 'string' && FILE_PATH.test(value) ? value : null);

function normalize(raw) {
  const d = asObject(raw);
  const id = asString(d.dashboardId);
  if (!id) return null;
  const charts = asArray(d.charts).map((c, i) => {
    const chart = asObject(c);
    const svgPath = filePath(chart.svgPath);
    const pngPath = filePath(chart.pngPath);
    return { index: asNumber(chart.index) ?? i, type: asString(chart.type, '?'), title: asString(chart.title), svgPath, pngPath, imagePath: svgPath ?? pngPath };
  });
  return {
    id,
    title: asString(d.title, id),
    createdAt: asString(d.createdAt),
    rowCount: asNumber(d.rowCount),
    truncated: d.truncated === true,
    charts,
    htmlPath: filePath(d.htmlPath),
  };
}
