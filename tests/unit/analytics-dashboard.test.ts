import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidError } from '../../src/common/errors';
import { parseInput } from '../../src/common/validation';
import {
  createDashboardAction,
  dashboardCursorSchema,
  DashboardStore,
  resolvePngFonts,
  type DashboardQueryRunner,
  type DashboardSummary,
} from '../../src/dawg/modules/analytics/dashboard';
import { SvgRenderer } from '../../src/dawg/modules/analytics/dashboard/svg-renderer';
import { silentLogger } from '../helpers/logger';

let dataDir: string;
let store: DashboardStore;
/** One chart worker for the file, ended with it. */
const svgRenderer = new SvgRenderer();
afterAll(() => svgRenderer.close());

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'jarvis-dashboards-'));
  store = new DashboardStore({ dataDir });
  await store.init();
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

const noQuery: DashboardQueryRunner = () => Promise.reject(new Error('this test gives data, not a query'));

function ctx(signal = new AbortController().signal) {
  return { requestId: 'req-1', signal, logger: silentLogger(), actor: 'key_admin' };
}

/** Runs the action as the registry would: params parsed by its schema first. */
async function dashboard(raw: unknown, runQuery: DashboardQueryRunner = noQuery, signal?: AbortSignal): Promise<DashboardSummary> {
  const action = createDashboardAction({ dashboards: store, svgRenderer, runQuery });
  return action.handler(parseInput(action.params, raw, 'params'), ctx(signal));
}

async function fileOf(summary: DashboardSummary, route: string | null): Promise<Buffer> {
  expect(route).not.toBeNull();
  const name = route!.split('/').pop()!;
  return readFile((await store.file(summary.dashboardId, name)).path);
}

async function svgOf(summary: DashboardSummary, index = 0): Promise<string> {
  return (await fileOf(summary, summary.charts[index]!.svgPath)).toString('utf8');
}

/** The drawn marks of one Vega mark type (`rect`, `symbol`, `arc`, `line`, `area`): each is one <path> in its mark group. */
function marks(svg: string, type: string): string[] {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-${type} role-mark[^"]*"[^>]*>(.*?)</g>`, 'g'))];
  return groups.flatMap((g) => g[1]!.match(/<path [^>]*>/g) ?? []);
}

/** Height of a bar drawn as `M x,y h w v height h -w Z`. */
function barHeight(path: string): number {
  return Number(/d="M[-\d.]+,[-\d.]+h[-\d.]+v([-\d.]+)/.exec(path)![1]);
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
}

function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

async function fieldOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidError);
  return ((err as InvalidError).details as { issues: Array<{ field: string }> }).issues[0]!.field;
}

const sales = [
  { region: 'north', month: '2024-01-01', revenue: 10, cost: 4 },
  { region: 'south', month: '2024-02-01', revenue: 20, cost: 8 },
  { region: 'north', month: '2024-03-01', revenue: 5, cost: 9 },
  { region: 'east', month: '2024-04-01', revenue: 15, cost: 3 },
];

describe('rendering each chart type', () => {
  it('bar: one bar per category, heights proportional to the summed values, PNG at twice the SVG size', async () => {
    const d = await dashboard({ title: 'Sales', data: sales, charts: [{ type: 'bar', x: 'region', y: 'revenue' }] });
    const svg = await svgOf(d);
    const bars = marks(svg, 'rect');
    expect(bars).toHaveLength(3);
    // Each bar's label names its category and sum; north is two rows, 10 + 5.
    const byRegion = Object.fromEntries(bars.map((b) => [/region: (\w+);/.exec(b)![1], { label: /revenue: ([\d.]+)/.exec(b)![1], height: barHeight(b) }]));
    expect(Object.keys(byRegion).sort()).toEqual(['east', 'north', 'south']);
    expect(byRegion.north!.label).toBe('15');
    expect(byRegion.north!.height / byRegion.south!.height).toBeCloseTo(15 / 20, 5);
    expect(byRegion.east!.height / byRegion.south!.height).toBeCloseTo(15 / 20, 5);
    expect(byRegion.south!.height).toBe(300); // the tallest bar fills the plot
    expect(svg).toContain('>region</text>');
    expect(svg).toContain('>revenue</text>');
    expect(svg).toContain('>revenue by region</text>');
    const png = await fileOf(d, d.charts[0]!.pngPath);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const size = svgSize(svg);
    expect(size.width).toBeGreaterThan(640);
    expect(size.width).toBeLessThan(900);
    expect(pngSize(png)).toEqual({ width: size.width * 2, height: size.height * 2 });
  });

  it('bar with several y columns: grouped bars, a legend naming the columns', async () => {
    const d = await dashboard({ title: 'Sales', data: sales, charts: [{ type: 'bar', x: 'region', y: ['revenue', 'cost'] }] });
    const svg = await svgOf(d);
    expect(marks(svg, 'rect')).toHaveLength(6);
    expect(svg).toContain('>series</text>');
    expect(svg).toMatch(/>revenue<\/text>.*>cost<\/text>/);
  });

  it('line over dates: one path through every row in date order, spanning the plot', async () => {
    const d = await dashboard({ title: 'Trend', data: sales, charts: [{ type: 'line', x: 'month', y: 'revenue', title: 'Revenue per month' }] });
    const svg = await svgOf(d);
    const [line] = marks(svg, 'line');
    const points = /d="M([^"]*)"/.exec(line!)![1]!.split('L').map((p) => p.split(',').map(Number) as [number, number]);
    expect(points).toHaveLength(4);
    expect(points[0]![0]).toBe(0);
    expect(points[3]![0]).toBe(640);
    // Highest revenue (20, Feb) is at the top of the plot; the y scale starts at zero.
    expect(points[1]![1]).toBe(0);
    expect(points[2]![1]).toBeCloseTo(300 * (1 - 5 / 20), 5);
    expect(svg).toContain('>Revenue per month</text>');
    expect(svg).toContain('>month</text>');
  });

  it('area with two y columns: two stacked areas', async () => {
    const d = await dashboard({ title: 'Stack', data: sales, charts: [{ type: 'area', x: 'month', y: ['revenue', 'cost'] }] });
    expect(marks(await svgOf(d), 'area')).toHaveLength(2);
  });

  it('scatter: one symbol per row; column names with dots and quotes are plain titles, not field paths', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ 'a.b': i, 'it\'s "q"': (i * 7) % 13 }));
    const d = await dashboard({ title: 'Points', data: rows, charts: [{ type: 'scatter', x: 'a.b', y: 'it\'s "q"' }] });
    const svg = await svgOf(d);
    expect(marks(svg, 'symbol')).toHaveLength(40);
    expect(svg).toContain('>a.b</text>');
    expect(svg).toContain('>it\'s "q"</text>');
  });

  it('pie: one slice per category holding its sum', async () => {
    const d = await dashboard({ title: 'Share', data: sales, charts: [{ type: 'pie', x: 'region', y: 'revenue' }] });
    const slices = marks(await svgOf(d), 'arc');
    expect(slices).toHaveLength(3);
    const sums = slices.map((s) => Number(/revenue: ([\d.]+)/.exec(s)![1])).sort((a, b) => a - b);
    expect(sums).toEqual([15, 15, 20]);
  });

  it('histogram: bins that count every value once', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ v: i }));
    const d = await dashboard({ title: 'Spread', data: rows, charts: [{ type: 'histogram', y: 'v' }] });
    const bars = marks(await svgOf(d), 'rect');
    const counts = bars.map((b) => Number(/count: (\d+)/.exec(b)![1]));
    expect(counts).toHaveLength(20); // a "nice" step of 5 over 0…99, under 30 bins
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(d.charts[0]!.title).toBe('Distribution of v');
  });

  it('table: an HTML table of the first 200 rows, no images', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({ id: i, name: `n${i}` }));
    const d = await dashboard({ title: 'Rows', data: rows, charts: [{ type: 'table', y: ['name'] }] });
    expect(d.charts[0]).toMatchObject({ type: 'table', svgPath: null, pngPath: null });
    const html = (await fileOf(d, d.htmlPath)).toString('utf8');
    const body = /<tbody>([\s\S]*)<\/tbody>/.exec(html)![1]!;
    expect(body.match(/<tr>/g)).toHaveLength(200);
    expect(body).toContain('<td>n199</td>');
    expect(body).not.toContain('n200');
    expect(html).toContain('<th scope="col">name</th>');
    expect(html).not.toContain('<th scope="col">id</th>');
    expect(html).toContain('First 200 of 250 rows.');
  });

  it('draws the same SVG from the same data, in one dashboard and across dashboards', async () => {
    const line = { type: 'line', x: 'month', y: ['revenue', 'cost'] };
    const d = await dashboard({ title: 'Same', data: sales, charts: [line, line] });
    expect(d.charts.map((c) => c.pngPath)).toEqual([expect.stringMatching(/chart-0\.png$/), expect.stringMatching(/chart-1\.png$/)]);
    const first = await svgOf(d, 0);
    expect(await svgOf(d, 1)).toBe(first);
    expect(await svgOf(await dashboard({ title: 'Again', data: sales, charts: [line] }))).toBe(first);
  });
});

describe('the page', () => {
  it('is self-contained and escapes every title, label and cell', async () => {
    const evil = '<script>alert(1)</script>';
    const rows = [{ '<b>col</b>': '<img src=x onerror=alert(1)>', n: 1 }, { '<b>col</b>': 'ok', n: 2 }];
    const d = await dashboard({
      title: evil,
      data: rows,
      charts: [{ type: 'bar', x: '<b>col</b>', y: 'n', title: evil }, { type: 'table' }],
    });
    const html = (await fileOf(d, d.htmlPath)).toString('utf8');
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('<td>&lt;img src=x onerror=alert(1)&gt;</td>');
    expect(html).toContain('&lt;b&gt;col&lt;/b&gt;');
    // The only URLs are SVG namespace names, which nothing fetches.
    expect(html.replace(/xmlns(?::\w+)?="[^"]*"/g, '')).not.toMatch(/https?:|(?:src|href)\s*=\s*["']|@import|url\(/i);
    expect(await svgOf(d)).not.toMatch(/<script|<img/i);
  });

  it('says when the query matched more rows than were charted', async () => {
    const calls: unknown[] = [];
    const runQuery: DashboardQueryRunner = async (q, caller) => {
      calls.push({ ...q, actor: caller.actor, requestId: caller.requestId });
      return { rows: sales, truncated: true };
    };
    const d = await dashboard({ title: 'Q', query: { sql: 'SELECT * FROM sales', source: 'jarvis' }, charts: [{ type: 'bar', x: 'region', y: 'cost' }] }, runQuery);
    // The query runs as the action's caller: source "jarvis" checks that it is an admin.
    expect(calls).toEqual([{ sql: 'SELECT * FROM sales', source: 'jarvis', maxRows: 10_000, actor: 'key_admin', requestId: 'req-1' }]);
    expect(d).toMatchObject({ rowCount: 4, truncated: true, title: 'Q' });
    expect(d.htmlPath).toBe(`/api/v1/dashboards/${d.dashboardId}/files/index.html`);
    expect(d.charts[0]).toEqual({
      index: 0,
      type: 'bar',
      title: 'cost by region',
      svgPath: `/api/v1/dashboards/${d.dashboardId}/files/chart-0.svg`,
      pngPath: `/api/v1/dashboards/${d.dashboardId}/files/chart-0.png`,
    });
    expect((await fileOf(d, d.htmlPath)).toString('utf8')).toContain('4 rows (the query matched more; only these are charted)');
  });
});

describe('bad input', () => {
  const chart = (c: Record<string, unknown>) => ({ title: 'T', data: sales, charts: [{ type: 'table' }, c] });

  it.each([
    [{ type: 'bar', x: 'nope', y: 'revenue' }, 'params.charts.1.x'],
    [{ type: 'line', x: 'month', y: ['revenue', 'nope'] }, 'params.charts.1.y.1'],
    [{ type: 'line', x: 'month', y: 'region' }, 'params.charts.1.y'],
    [{ type: 'scatter', x: 'revenue', y: 'month' }, 'params.charts.1.y'],
    [{ type: 'histogram', y: 'region' }, 'params.charts.1.y'],
    [{ type: 'histogram', x: 'revenue', y: 'cost' }, 'params.charts.1.x'],
    [{ type: 'area', y: 'revenue' }, 'params.charts.1.x'],
    [{ type: 'bar', x: 'region' }, 'params.charts.1.y'],
    [{ type: 'pie', y: 'revenue' }, 'params.charts.1.x'],
    [{ type: 'pie', x: 'region', y: ['revenue', 'cost'] }, 'params.charts.1.y'],
    [{ type: 'table', y: ['revenue', 'nope'] }, 'params.charts.1.y.1'],
  ])('%j → 400 naming %s, nothing stored', async (c, field) => {
    expect(await fieldOf(dashboard(chart(c)))).toBe(field);
    expect((await store.list({ limit: 10 })).dashboards).toEqual([]);
  });

  it('refuses a pie over negative values and a y column of mixed types', async () => {
    const rows = [{ k: 'a', v: 3, m: 1 }, { k: 'b', v: -1, m: 'two' }];
    expect(await fieldOf(dashboard({ title: 'T', data: rows, charts: [{ type: 'pie', x: 'k', y: 'v' }] }))).toBe('params.charts.0.y');
    expect(await fieldOf(dashboard({ title: 'T', data: rows, charts: [{ type: 'bar', x: 'k', y: 'm' }] }))).toBe('params.charts.0.y');
  });

  it('names the query when it returns no rows', async () => {
    const empty: DashboardQueryRunner = async () => ({ rows: [], truncated: false });
    expect(await fieldOf(dashboard({ title: 'T', query: { sql: 'SELECT 1 WHERE false' }, charts: [{ type: 'table' }] }, empty))).toBe('params.query.sql');
  });

  it('leaves the schema’s own errors to the schema: neither data nor query', async () => {
    expect(await fieldOf(dashboard({ title: 'T', charts: [{ type: 'table' }] }))).toBe('params.data');
  });
});

describe('DashboardStore', () => {
  const draft = (title: string) => ({ title, rowCount: 1, truncated: false, html: '<p>x</p>', charts: [{ type: 'line' as const, title: 'c', svg: '<svg/>', png: new Uint8Array([1, 2]) }] });

  it('never shows a dashboard whose write failed, and leaves no temporary folder', async () => {
    const broken = { ...draft('broken'), charts: [{ type: 'bar' as const, title: 'c', svg: '<svg/>', png: 42 as unknown as Uint8Array }] };
    await expect(store.save(broken)).rejects.toThrow();
    expect((await store.list({ limit: 10 })).dashboards).toEqual([]);
    expect(await readdir(store.dir)).toEqual([]);
  });

  it('stores nothing when the caller goes away mid-render', async () => {
    const controller = new AbortController();
    const runQuery: DashboardQueryRunner = async () => {
      controller.abort(new Error('client left'));
      return { rows: sales, truncated: false };
    };
    const params = { title: 'T', query: { sql: 'SELECT 1' }, charts: [{ type: 'line', x: 'month', y: 'revenue' }] };
    await expect(dashboard(params, runQuery, controller.signal)).rejects.toThrow('client left');
    expect(await readdir(store.dir)).toEqual([]);
  });

  it('skips and then clears what an interrupted write left behind', async () => {
    const saved = await store.save(draft('kept'));
    await mkdir(path.join(store.dir, '.tmp-crashed'));
    await writeFile(path.join(store.dir, '.tmp-crashed', 'index.html'), 'half');
    expect((await store.list({ limit: 10 })).dashboards.map((d) => d.id)).toEqual([saved.id]);
    await store.init();
    expect(await readdir(store.dir)).toEqual([saved.id]);
  });

  it('lists newest first, a page at a time', async () => {
    const a = await store.save(draft('a'));
    await new Promise((r) => setTimeout(r, 5));
    const b = await store.save(draft('b'));
    await new Promise((r) => setTimeout(r, 5));
    const c = await store.save(draft('c'));
    const first = await store.list({ limit: 2 });
    expect(first.dashboards.map((d) => d.title)).toEqual(['c', 'b']);
    expect(first.nextBefore).not.toBeNull();
    const second = await store.list({ limit: 2, before: dashboardCursorSchema.parse(first.nextBefore) });
    expect(second).toEqual({ dashboards: [a], nextBefore: null });
    expect(await store.get(c.id)).toEqual(c);
    expect(b.charts[0]).toEqual({ index: 0, type: 'line', title: 'c', svg: 'chart-0.svg', png: 'chart-0.png' });
  });

  it('gives out only the files its dashboard.json names', async () => {
    const saved = await store.save({ ...draft('t'), charts: [{ type: 'table', title: 'rows' }] });
    expect(await store.file(saved.id, 'index.html')).toEqual({ path: path.join(store.dir, saved.id, 'index.html'), contentType: 'text/html; charset=utf-8' });
    for (const name of ['chart-0.svg', 'dashboard.json', '../index.html', '..%2findex.html', '']) {
      await expect(store.file(saved.id, name)).rejects.toMatchObject({ status: 404 });
    }
    await expect(store.get('../../etc')).rejects.toMatchObject({ status: 404, code: 'DASHBOARD_NOT_FOUND' });
    await expect(store.get('dsh_00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
  });
});

describe('PNG fonts', () => {
  it('renders a PNG (without text) when no font can be found', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'no-fonts-'));
    try {
      const fonts = await resolvePngFonts([empty, path.join(empty, 'missing')]);
      expect(fonts.font).toEqual({ loadSystemFonts: false, fontFiles: [] });
      const action = createDashboardAction({ dashboards: store, svgRenderer, runQuery: noQuery, fonts: async () => fonts });
      const d = await action.handler(parseInput(action.params, { title: 'T', data: sales, charts: [{ type: 'bar', x: 'region', y: 'cost' }] }, 'params'), ctx());
      const png = await fileOf(d, d.charts[0]!.pngPath);
      expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(pngSize(png).width).toBe(svgSize(await svgOf(d)).width * 2);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('prefers a known sans-serif family, loaded from its files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fonts-'));
    try {
      await mkdir(path.join(dir, 'truetype', 'liberation'), { recursive: true });
      await writeFile(path.join(dir, 'Other.ttf'), '');
      await writeFile(path.join(dir, 'truetype', 'liberation', 'LiberationSans-Regular.ttf'), '');
      const fonts = await resolvePngFonts([dir]);
      expect(fonts.font).toMatchObject({ loadSystemFonts: false, defaultFontFamily: 'Liberation Sans', sansSerifFamily: 'Liberation Sans' });
      expect(fonts.font.fontFiles).toEqual([path.join(dir, 'truetype', 'liberation', 'LiberationSans-Regular.ttf')]);
      await rm(path.join(dir, 'truetype'), { recursive: true });
      expect((await resolvePngFonts([dir])).font).toEqual({ loadSystemFonts: false, fontDirs: [dir] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
