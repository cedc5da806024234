import type { TopLevelSpec } from 'vega-lite';
import { SvgRenderer } from '../../src/dawg/modules/analytics/dashboard/svg-renderer';
import { renderSvg } from '../../src/dawg/modules/analytics/dashboard/vega-svg';
import { countTurns } from '../helpers/event-loop';

jest.setTimeout(60_000);

const line = (points: number): TopLevelSpec => ({
  data: { values: Array.from({ length: points }, (_, i) => ({ x: i, y: Math.sin(i / 50) * 100 + (i % 7) })) },
  mark: 'line',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  width: 600,
  height: 300,
});

describe('SvgRenderer (Vega on a worker thread)', () => {
  const renderer = new SvgRenderer();
  afterAll(() => renderer.close());

  it('draws the same SVG as rendering in this thread', async () => {
    const spec = line(200);
    expect(await renderer.render(spec)).toBe(await renderSvg(spec));
  });

  it('leaves the event loop free while it draws a large chart', async () => {
    await renderer.render(line(10)); // the worker is up
    const counter = countTurns();
    const svg = await renderer.render(line(20_000));
    const turns = counter.stop();
    expect(svg.startsWith('<svg')).toBe(true);
    // Drawn in this thread, no turn could run until it ended (one or two around it).
    expect(turns).toBeGreaterThan(50);
  });

  it('ends a render whose caller goes away, and draws the next one', async () => {
    const controller = new AbortController();
    const running = renderer.render(line(50_000), controller.signal);
    setTimeout(() => controller.abort(new Error('caller left')), 50);
    await expect(running).rejects.toThrow('caller left');
    expect((await renderer.render(line(20))).startsWith('<svg')).toBe(true);
  });

  it('lets other renders finish when one caller goes away', async () => {
    const controller = new AbortController();
    const abandoned = renderer.render(line(30_000), controller.signal);
    const other = renderer.render(line(300));
    controller.abort(new Error('caller left'));
    await expect(abandoned).rejects.toThrow('caller left');
    expect((await other).startsWith('<svg')).toBe(true);
  });

  it('answers what was waiting when it is closed, and starts again on the next render', async () => {
    const own = new SvgRenderer();
    const waiting = own.render(line(30_000));
    await own.close();
    await expect(waiting).rejects.toMatchObject({ status: 503, code: 'CHART_RENDERER_STOPPED' });
    expect((await own.render(line(20))).startsWith('<svg')).toBe(true);
    await own.close();
  });

  it('answers a spec Vega cannot draw with CHART_RENDER_FAILED', async () => {
    const bad = { data: { values: [{ x: 1 }] }, mark: 'no-such-mark', encoding: { x: { field: 'x', type: 'quantitative' } } } as unknown as TopLevelSpec;
    await expect(renderer.render(bad)).rejects.toMatchObject({ status: 500, code: 'CHART_RENDER_FAILED' });
  });
});
