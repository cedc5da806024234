import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDawgApp } from '../../src/dawg/app';
import { encodeWav } from '../../src/dawg/audio/io';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { registerDataModules, type DataModules } from '../../src/dawg/modules/data-modules';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { createMusicModule } from '../../src/dawg/modules/music';
import { createTestingModule } from '../../src/dawg/modules/testing';
import { createDefaultAgents } from '../../src/control-plane/agents';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { listenWithHub, startTestPlane, type TestPlane } from '../helpers/control-plane';
import { insertFailedTasks } from '../helpers/failed-tasks';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-providers';
import { silentLogger } from '../helpers/logger';
import { createProbeAgent, ProbeLog } from '../helpers/probe-agent';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';

/**
 * The web dashboard in a real browser: headless Debian Chromium (driven by playwright-core)
 * against a real control plane with its WebSocket hub, a real AI DAWG (file store and audio
 * worker, for the tracks panel; the analytics and marketing modules on an in-memory DuckDB, for
 * the dashboards and outbox panels) and a fake OpenAI server (so AI calls are real ledger entries).
 * `.ci/run` installs Chromium when it is missing; without it this file is skipped, loudly.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`tests/e2e/dashboard.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does it)`);

jest.setTimeout(120_000);

const RATE = 48_000;
const WAIT = { timeout: 20_000 };

/** A 997 Hz stereo tone: 3 s at −20 dBFS, then 3 s at −30 dBFS (a loudness curve with a step). */
function toneWav(): Buffer {
  const ch = new Float32Array(6 * RATE);
  for (let i = 0; i < ch.length; i++) ch[i] = 10 ** ((i < 3 * RATE ? -20 : -30) / 20) * Math.sin((2 * Math.PI * 997 * i) / RATE);
  return encodeWav({ sampleRate: RATE, channels: [ch, ch.slice()] }, { bitDepth: 16, format: 'pcm' });
}

/**
 * Polls a page expression until it is truthy and returns it. A string, evaluated by the
 * DevTools protocol: page.waitForFunction would eval() it inside the page, which the dashboard's
 * CSP forbids (and the tests compile without the DOM library).
 */
async function until(page: Page, expression: string, timeoutMs = WAIT.timeout): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value: unknown = await page.evaluate(expression);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

(HAVE_CHROMIUM ? describe : describe.skip)('web dashboard in headless Chromium', () => {
  let dir: string;
  let audio: AudioWorkerPool;
  let dawg: Listening;
  let data: DataModules;
  let openai: FakeProvider;
  let hook: http.Server;
  let plane: TestPlane;
  let server: Awaited<ReturnType<typeof listenWithHub>>;
  let browser: Browser;
  let page: Page;
  /** A devops key that asks for commands, so the admin key on the page may decide them. */
  let askerKey: string;
  let fileId: string;
  /** The campaign made in beforeAll: its messages reach the outbox only when a test sends them. */
  let campaign: { campaignId: string; messages: number; lastSendAt: string };
  /** Uncaught page errors and CSP violations: a dashboard that works must have none. */
  const problems: string[] = [];
  /** Frames the page received over its WebSocket, and the URLs it opened. */
  const framesIn: string[] = [];
  const socketUrls: string[] = [];
  const firstFrames: string[] = [];

  const api = async (method: string, route: string, key: string, body?: unknown) => {
    const res = await fetch(`${server.url}${route}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const watch = (p: Page) => {
    p.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    p.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
    });
  };
  const aiCall = async () => expect((await api('POST', '/api/v1/ai/chat', plane.userKey, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
  /** Runs a DAWG module's action through the control plane, as any API client would. */
  const execute = async (module: string, action: string, params: Record<string, unknown>) => {
    const res = await api('POST', '/api/v1/execute', plane.adminKey, { module, action, params });
    expect([`${module}.${action}`, res.status]).toEqual([`${module}.${action}`, 200]);
    return res.body.result as Record<string, unknown>;
  };
  /** Six listeners with a few sessions each, one segmentation, one campaign at 09:00 (UTC) tomorrow. */
  const seedCampaign = async () => {
    const names = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eva', 'Finn'];
    const users = names.map((first_name, i) => ({ user_id: `u${i + 1}`, email: `listener${i + 1}@example.invalid`, first_name, plan: i % 2 ? 'premium' : 'free', utc_offset: 0 }));
    const activity = users.flatMap((u, i) =>
      Array.from({ length: 2 + i }, (_, k) => ({ user_id: u.user_id, ts: `2025-03-${String(1 + 3 * k + i).padStart(2, '0')}T10:00:00Z`, event: 'session', minutes: 5 + k })),
    );
    await execute('analytics', 'load-dataset', { name: 'e2e_users', rows: users });
    await execute('analytics', 'load-dataset', { name: 'e2e_activity', rows: activity });
    const segmentation = await execute('marketing', 'segment-audience', { goal: 'win back quiet listeners', usersDataset: 'e2e_users', activityDataset: 'e2e_activity' });
    const created = await execute('marketing', 'create-campaign', {
      name: 'E2E win-back',
      segmentationId: segmentation.segmentationId,
      sendTime: '09:00',
      templates: [{ segment: 'default', subject: 'We miss you, {{first_name}}', body: 'Hi {{first_name}}, your {{plan}} plan is waiting.' }],
    });
    expect(created.messages).toBe(names.length);
    return created as { campaignId: string; messages: number; lastSendAt: string };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-e2e-'));
    const policyFile = path.join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ version: 1, path: ['/usr/bin', '/bin'], defaults: { allowedDirectories: [dir] }, rules: { free: { description: 'memory', args: ['-m'], requireApproval: true } } }));
    const filesDir = path.join(dir, 'files');
    const files = new FileStore({ dir: filesDir, maxBytes: 10_000_000 });
    await files.init();
    audio = new AudioWorkerPool({ workers: 1, filesDir });
    const registry = new ModuleRegistry();
    // The production scenario's modules (the composer, mixing, mastering, audio checks).
    const projects = new ProjectStore(path.join(dir, 'projects'));
    await projects.init();
    registry.register(createTestingModule({ listModules: () => registry.names(), dataDir: dir, startedAt: Date.now(), files, audio }));
    registry.register(createMusicModule({ projects, files, audio }));
    registry.register(createCreativeModule({ files, projects, audio }));
    data = await registerDataModules({ dataDir: path.join(dir, 'dawg'), databaseFile: ':memory:', registry, logger: silentLogger() });
    dawg = await listen(
      buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), files, audio, dashboards: data.dashboards }),
    );
    openai = await startFakeProvider('openai');
    // A webhook that refuses every suggestion (404: not retried), so the Suggestions panel shows a failing channel.
    hook = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(404).end('no such hook')));
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    plane = await startTestPlane({
      runTasks: true,
      agents: [createProbeAgent(new ProbeLog()), ...createDefaultAgents()],
      env: {
        AI_DAWG_BACKEND_URL: dawg.url,
        JARVIS_DATA_DIR: path.join(dir, 'data'),
        TERMINAL_FIREWALL_POLICY_FILE: policyFile,
        OPENAI_API_KEY: 'sk-test-openai-0123456789abcdef',
        OPENAI_BASE_URL: openai.url,
        AGENT_QUEUE_POLL_MS: '100',
        AGENT_HEARTBEAT_MS: '200',
        RATE_LIMIT_DEFAULT_MAX: '100000',
        PROACTIVE_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      },
    });
    askerKey = (await plane.apiKeys.create('asker', ['devops'])).key;
    server = await listenWithHub(plane);

    const upload = await fetch(`${server.url}/api/v1/audio/files`, { method: 'POST', headers: { Authorization: `Bearer ${plane.adminKey}`, 'Content-Type': 'audio/wav', 'X-File-Name': 'two-levels.wav' }, body: toneWav() });
    expect(upload.status).toBe(201);
    fileId = ((await upload.json()) as { id: string }).id;
    await aiCall(); // a day with spend, so the cost chart has a bar
    campaign = await seedCampaign();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    watch(page);
    page.on('websocket', (ws) => {
      socketUrls.push(ws.url());
      ws.on('framesent', (f) => firstFrames.length < 1 && firstFrames.push(String(f.payload)));
      ws.on('framereceived', (f) => framesIn.push(String(f.payload)));
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await plane?.stop();
    await openai?.close();
    await new Promise((resolve) => hook?.close(resolve));
    await dawg?.close();
    data?.close();
    await audio?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the page and its files are served with the right types, 404 for anything else, under the CSP', async () => {
    const html = await fetch(`${server.url}/dashboard`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toMatch(/(^|;)media-src 'self'(;|$)/);
    expect(csp).toContain("img-src 'self' data: blob:"); // chart images fetched with the key
    expect(csp).not.toMatch(/(script|style|default|connect)-src[^;]*blob:/);
    const markup = await html.text();
    expect(markup).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(markup).not.toMatch(/\son[a-z]+=/); // no inline handler
    const js = await fetch(`${server.url}/dashboard/dashboard.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('no-cache');
    expect(js.headers.get('content-security-policy')).not.toContain('blob:');
    expect((await fetch(`${server.url}/dashboard/dashboard.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const name of ['analytics-panel.js', 'outbox-panel.js', 'paged-list.js']) {
      const res = await fetch(`${server.url}/dashboard/${name}`);
      expect([name, res.status, res.headers.get('content-type')]).toEqual([name, 200, 'text/javascript; charset=utf-8']);
    }
    for (const name of ['nope.js', 'index.html', 'dashboard.routes.ts', '..%2Fapp.ts']) {
      const res = await fetch(`${server.url}/dashboard/${name}`);
      expect([name, res.status]).toEqual([name, 404]);
    }
  });

  test('a wrong key is refused with a clear message; the admin key opens every panel and goes live', async () => {
    await page.goto(`${server.url}/dashboard`);
    await page.fill('#api-key', 'jrv_0123456789abcdef_' + 'x'.repeat(43));
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#key-form .status[data-kind=error]:has-text("refused")', WAIT);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    await page.fill('#api-key', plane.adminKey);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#live-state[data-state=live]', WAIT);
    await page.evaluate('window.dashboardNotReloaded = true');
    expect(await page.evaluate("sessionStorage.getItem('jarvis.dashboard.apiKey')")).toBe(plane.adminKey);
    expect(await page.textContent('#whoami')).toContain('admin, devops');
    // The key went in the first message, never in the URL.
    expect(socketUrls).toEqual([`${server.url.replace('http', 'ws')}/ws`]);
    expect(JSON.parse(firstFrames[0]!)).toMatchObject({ type: 'auth', apiKey: plane.adminKey });

    await page.waitForSelector('#health [data-check=database] .badge:has-text("ok")', WAIT);
    await page.waitForSelector('#health [data-check=dawg] .badge:has-text("ok")', WAIT);
    await page.waitForSelector('#costs svg.cost-chart rect.bar', WAIT);
    await page.waitForSelector('#costs svg.cost-chart line.budget', { ...WAIT, state: 'attached' }); // a line has no height: never "visible"
    expect(await page.textContent('#costs [data-scope=global]')).toContain('of $100.00');
    // Nothing rendered or sent yet: both panels say so and what makes them fill.
    await page.waitForSelector('#analytics .dashboards .empty:has-text("No dashboards yet — run analytics.dashboard")', WAIT);
    await page.waitForSelector('#outbox tbody .empty:has-text("The outbox is empty")', WAIT);
    expect(await page.isHidden('#analytics .status')).toBe(true);
    expect(await page.isHidden('#outbox .status')).toBe(true);
  });

  test('submits a task and shows its progress and completion live, without reloading', async () => {
    await page.selectOption('#tasks select[name=agent]', 'Probe');
    await page.selectOption('#tasks select[name=taskType]', 'sleep');
    await page.fill('#tasks textarea[name=payload]', '{"ms": 1500, "label": "from the dashboard"}');
    await page.click('#tasks button[type=submit]');
    const result = await page.waitForSelector('#tasks .form-result[data-kind=ok]', WAIT);
    const taskId = await result.getAttribute('data-task-id');
    expect(taskId).toMatch(/^tsk_/);
    const row = `#tasks tr[data-task-id="${taskId}"]`;
    // The probe reports 50 % ("half way") and then sleeps 1.5 s: the page shows it meanwhile.
    await page.waitForSelector(`${row}[data-status=running] .percent:has-text("50%")`, WAIT);
    expect(await page.textContent(`${row} .message`)).toBe('half way');
    await page.waitForSelector(`${row}[data-status=completed] .percent:has-text("100%")`, WAIT);
    expect(await page.evaluate('window.dashboardNotReloaded')).toBe(true);
    const progressFrames = framesIn.map((f) => JSON.parse(f) as { event?: string; data?: { jobId?: string } }).filter((m) => m.data?.jobId === taskId);
    expect(progressFrames.map((m) => m.event)).toEqual(expect.arrayContaining(['task.progress', 'task.completed']));
  });

  test('shows a pending command live, shows the refusal of a self-approval, and approves another key’s command', async () => {
    const own = await api('POST', '/api/v1/devops/exec', plane.adminKey, { command: 'free', args: ['-m'] });
    expect(own.status).toBe(202);
    const ownId = (own.body.approval as { id: string }).id;
    const ownItem = `#approvals .pending [data-approval-id="${ownId}"]`;
    await page.waitForSelector(ownItem, WAIT);
    await page.click(`${ownItem} button.approve`);
    await page.waitForSelector(`${ownItem} .status[data-kind=error]:has-text("cannot approve")`, WAIT);

    const held = await api('POST', '/api/v1/devops/exec', askerKey, { command: 'free', args: ['-m'] });
    expect(held.status).toBe(202);
    const id = (held.body.approval as { id: string }).id;
    const item = `#approvals .pending [data-approval-id="${id}"]`;
    await page.waitForSelector(item, WAIT);
    expect(await page.textContent(`${item} .command`)).toBe('free -m');
    await page.fill(`${item} input[name=note]`, 'checked on the dashboard');
    await page.click(`${item} button.approve`);
    await page.waitForSelector(item, { ...WAIT, state: 'detached' });
    await page.waitForSelector(`#approvals .recent [data-approval-id="${id}"]`, WAIT);
    expect(await page.$(ownItem)).not.toBeNull(); // still pending: nobody else decided it

    const after = await api('GET', `/api/v1/approvals/${id}`, plane.adminKey);
    expect(after.body).toMatchObject({ id, decisionNote: 'checked on the dashboard', decidedBy: /^jrv_([a-f0-9]{16})_/.exec(plane.adminKey)![1] });
    expect(['approved', 'running', 'finished']).toContain(after.body.status);

    // A command held with what it carries out (as the DAWG's devops module sends it): the list is shown with it.
    const askerId = /^jrv_([a-f0-9]{16})_/.exec(askerKey)![1]!;
    const withChanges = await plane.firewall!.exec({ command: 'free', args: ['-m'] }, askerId, undefined, 'ai-dawg', {
      context: { changes: [{ action: 'Add', logicalId: 'Assets', type: 'AWS::S3::Bucket' }, { action: 'Remove', logicalId: 'Logs', type: 'AWS::S3::Bucket' }] },
    });
    const changedItem = `#approvals .pending [data-approval-id="${(withChanges as { approval: { id: string } }).approval.id}"]`;
    await page.waitForSelector(`${changedItem} details.changes summary:has-text("2 changes it carries out")`, WAIT);
    await page.click(`${changedItem} details.changes summary`);
    expect(await page.textContent(`${changedItem} details.changes`)).toContain('Remove Logs (AWS::S3::Bucket)');
    await page.click(`${changedItem} button.deny`);
    await page.waitForSelector(changedItem, { ...WAIT, state: 'detached' });
  });

  test('AI spend arrives live on the costs panel', async () => {
    const scope = '#costs [data-scope=global] .meta';
    const before = await page.textContent(scope);
    await aiCall();
    await until(page, `document.querySelector(${JSON.stringify(scope)})?.textContent !== ${JSON.stringify(before)}`);
  });

  test('a suggestion from a real signal shows live with its figures, and Dismiss hides it for this key', async () => {
    const keyId = /^jrv_([a-f0-9]{16})_/.exec(plane.adminKey)![1]!;
    await insertFailedTasks(plane.testDb.db, 3, keyId, 'Probe', 'flaky-e2e');
    await plane.proactive!.evaluate();
    const item = `#suggestions [data-suggestion="task-failures:Probe.flaky-e2e:${keyId}"]`;
    await page.waitForSelector(item, WAIT);
    expect(await page.textContent(`${item} .signal`)).toMatch(/failures: 3 .*errorCodes: DEPLOY_FAILED/);
    // The webhook refused it: the panel's channels line says so (admin key), with the reason.
    await plane.proactive!.webhook!.idle();
    await page.click('#suggestions button.reload');
    await page.waitForSelector('#suggestions .channels [data-channel="webhook"][data-failing="true"]', WAIT);
    expect(await page.textContent('#suggestions .channels')).toMatch(/^Also sent to: json webhook at 127\.0\.0\.1:\d+ \(warning\+\) failing HTTP 404$/);
    await page.click(`${item} button.dismiss`);
    await page.waitForSelector(item, { ...WAIT, state: 'detached' });
    const listed = await api('GET', '/api/v1/suggestions', plane.adminKey);
    expect((listed.body.suggestions as Array<{ id: string }>).map((x) => x.id)).not.toContain(`task-failures:Probe.flaky-e2e:${keyId}`);
    await plane.testDb.db.query(`DELETE FROM tasks WHERE task_type = 'flaky-e2e'`);
    await plane.proactive!.evaluate();
  });

  test('a suggestion this key keeps dismissing shows muted, and Unmute forgets those dismissals', async () => {
    const keyId = /^jrv_([a-f0-9]{16})_/.exec(plane.adminKey)![1]!;
    const id = `task-failures:Probe.muted-e2e:${keyId}`;
    await plane.testDb.db.query(`INSERT INTO suggestion_feedback (key_id, suggestion_id, severity) SELECT $1, $2, 'warning' FROM generate_series(1, 3)`, [keyId, id]);
    await insertFailedTasks(plane.testDb.db, 3, keyId, 'Probe', 'muted-e2e');
    await plane.proactive!.evaluate();
    // Not pushed to this key: it shows once the panel reloads the list.
    await page.click('#suggestions button.reload');
    const item = `#suggestions [data-suggestion="${id}"]`;
    await page.waitForSelector(`${item} .badge.muted`, WAIT);
    await page.click(`${item} button.unmute`);
    await page.waitForSelector(`${item} .badge.muted`, { ...WAIT, state: 'detached' });
    expect(await plane.testDb.db.query('SELECT * FROM suggestion_feedback WHERE suggestion_id = $1', [id])).toEqual([]);
    await plane.testDb.db.query(`DELETE FROM tasks WHERE task_type = 'muted-e2e'`);
    await plane.proactive!.evaluate();
  });

  test('draws a track’s waveform and loudness curve, and streams it to the player through a media link', async () => {
    await page.click(`#tracks [data-file-id="${fileId}"] button`);
    await page.waitForSelector('#tracks svg.waveform path.peaks', WAIT);
    await page.waitForSelector('#tracks svg.loudness path.lufs', WAIT);
    expect(await page.textContent('#tracks .track-facts')).toMatch(/0:06\.0 · 48000 Hz · 2 ch · integrated -\d+\.\d LUFS · true peak -\d+\.\d dBTP/);
    await page.click('#tracks button.load-audio');
    const duration = await until(page, "(() => { const el = document.querySelector('#tracks audio'); return el && !el.hidden && el.readyState >= 1 ? el.duration : null; })()");
    expect(duration).toBeCloseTo(6, 1);
    expect(await page.getAttribute('#tracks audio', 'src')).toMatch(new RegExp(`^/api/v1/audio/files/${fileId}\\?link=[0-9a-f]{16}\\.\\d+\\.[\\w-]{43}$`));
  });

  test('follows a production live, then opens the published track with its waveform and loudness curve', async () => {
    const started = await api('POST', '/integrations/chatgpt/actions/creative/produce', plane.adminKey, { prompt: "Create a synthwave track called 'Neon Dreams'", duration: 10 });
    expect(started.status).toBe(202);
    const taskIds = started.body.taskIds as Record<string, string>;
    // Every step shows in the tasks panel as it runs and completes, without a reload.
    for (const key of ['concept', 'generate', 'mix', 'master', 'review', 'publish']) {
      await page.waitForSelector(`#tasks tr[data-task-id="${taskIds[key]}"][data-status=completed]`, { timeout: 60_000 });
    }
    const mixFrames = framesIn.map((f) => JSON.parse(f) as { event?: string; data?: { jobId?: string } }).filter((m) => m.data?.jobId === taskIds.mix);
    expect(mixFrames.map((m) => m.event)).toEqual(expect.arrayContaining(['task.started', 'task.progress', 'task.completed']));
    // The catalog panel re-reads when a task completes and opens the new track by itself.
    await page.waitForSelector('#catalog .track-view svg.waveform path.peaks', { timeout: 30_000 });
    await page.waitForSelector('#catalog .track-view svg.loudness path.lufs', WAIT);
    expect(await page.textContent('#catalog .track-view h3')).toBe('Neon Dreams');
    expect(await page.textContent('#catalog ul.files')).toMatch(/Neon Dreams.*WAV 24-bit 48kHz/);
    await page.click('#catalog button.load-audio');
    const duration = await until(page, "(() => { const el = document.querySelector('#catalog audio'); return el && !el.hidden && el.readyState >= 1 ? el.duration : null; })()");
    expect(Number(duration)).toBeGreaterThan(9);
    expect(await page.evaluate('window.dashboardNotReloaded')).toBe(true);
  });

  test('lists a rendered analytics dashboard, shows its chart images from blob URLs and opens its page', async () => {
    const title = 'Listeners <b>& minutes</b>'; // markup in a title must show as text
    const rows = [1, 2, 3, 4, 5, 6].map((day) => ({ day, listeners: 10 * day + (day % 2) * 7, region: day % 2 ? 'north' : 'south' }));
    const rendered = await execute('analytics', 'dashboard', {
      title,
      data: rows,
      charts: [
        { type: 'line', x: 'day', y: 'listeners', title: 'Listeners per day' },
        { type: 'bar', x: 'region', y: 'listeners', title: 'Listeners by region' },
      ],
    });
    const id = rendered.dashboardId as string;
    expect(id).toMatch(/^dsh_/);
    await page.click('#analytics button.reload');
    const item = `#analytics .dashboards [data-dashboard-id="${id}"]`;
    await page.waitForSelector(item, WAIT);
    expect(await page.textContent(`${item} .name`)).toBe(title);
    expect(await page.textContent(`${item} .meta`)).toContain('2 charts');
    // The newest dashboard is shown at once, its two images fetched with the key and decoded.
    expect(await page.textContent('#analytics .dashboard-view h3')).toBe(title);
    expect(await page.$('#analytics .dashboard-view b')).toBeNull();
    expect(await page.textContent('#analytics .dashboard-facts')).toContain('6 rows');
    const images = "[...document.querySelectorAll('#analytics .dashboard-view img.chart-image')]";
    const sizes = (await until(page, `(() => { const all = ${images}; return all.length === 2 && all.every((i) => i.complete && i.naturalWidth > 0) ? all.map((i) => [i.naturalWidth, i.src.slice(0, 5), i.alt]) : null; })()`)) as Array<[number, string, string]>;
    expect(sizes.map(([, scheme, alt]) => [scheme, alt])).toEqual([['blob:', 'Listeners per day'], ['blob:', 'Listeners by region']]);
    for (const [width] of sizes) expect(width).toBeGreaterThan(100);
    expect(await page.evaluate("[...document.querySelectorAll('#analytics figcaption')].map((e) => e.textContent)")).toEqual(['Listeners per day line', 'Listeners by region bar']);

    // "Open page": the stored page, fetched with the key, in a new tab from a blob: URL.
    const [tab] = await Promise.all([page.context().waitForEvent('page', WAIT), page.click('#analytics button.open-page')]);
    watch(tab);
    try {
      await tab.waitForLoadState('load');
      expect(tab.url()).toMatch(/^blob:/);
      expect(await tab.title()).toBe(title);
      expect(await tab.evaluate('document.querySelectorAll("main section svg").length')).toBe(2);
      expect(await tab.evaluate('window.opener')).toBeNull();
    } finally {
      await tab.close();
    }
    await page.waitForSelector('#analytics .page-status a[href^="blob:"]', WAIT);
  });

  test('lists the outbox, and reads it again when a task completes', async () => {
    const sent = await execute('marketing', 'send-due', { now: campaign.lastSendAt, campaignId: campaign.campaignId });
    expect(sent).toMatchObject({ sent: campaign.messages, failed: 0 });
    const outbox = (await execute('marketing', 'outbox', { limit: 20 })).messages as Array<{ id: string; to: string; subject: string; campaignId: string }>;
    expect(outbox).toHaveLength(campaign.messages);
    // The page has not looked since: still empty until a task completes.
    expect(await page.$('#outbox tbody .empty')).not.toBeNull();
    const queued = await api('POST', '/api/v1/agents/Probe/tasks', plane.adminKey, { taskType: 'noop', payload: { label: 'outbox refresh' } });
    expect(queued.status).toBe(202);
    await page.waitForSelector(`#outbox tbody tr[data-outbox-id="${outbox[0]!.id}"]`, WAIT);
    const shown = (await page.evaluate(
      "[...document.querySelectorAll('#outbox tbody tr')].map((tr) => [tr.dataset.outboxId, ...['.to', 'summary', '.campaign', '.time'].map((s) => tr.querySelector(s)?.textContent)])",
    )) as string[][];
    expect(shown.map(([id, to, subject, cmp]) => [id, to, subject, cmp])).toEqual(outbox.map((m) => [m.id, m.to, m.subject, m.campaignId]));
    expect(shown.map((r) => r[2])).toContain('We miss you, Ada');
    for (const row of shown) expect(row[4]).not.toBe('—');
    await page.click(`#outbox tr[data-outbox-id="${outbox[0]!.id}"] summary`);
    expect(await page.textContent(`#outbox tr[data-outbox-id="${outbox[0]!.id}"] .message-body`)).toMatch(/^Hi \w+, your (free|premium) plan is waiting\.$/);
    // Refresh reads it again (the same rows: nothing new was sent).
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/execute' && r.request().postDataJSON()?.action === 'outbox', WAIT),
      page.click('#outbox button.reload'),
    ]);
    expect(answer.status()).toBe(200);
    expect(await page.evaluate("document.querySelectorAll('#outbox tbody tr[data-outbox-id]').length")).toBe(campaign.messages);
  });

  test('says plainly when the AI DAWG or the marketing module is unavailable, and the panels stay usable', async () => {
    const other = await browser.newPage();
    watch(other);
    // What the control plane answers when the DAWG is down, or runs without the marketing module.
    const dashboardsList = (url: URL) => url.pathname === '/api/v1/dashboards';
    await other.route(dashboardsList, (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'DAWG_UNAVAILABLE', message: 'AI DAWG is unreachable' } }) }),
    );
    await other.route((url) => url.pathname === '/api/v1/execute', (route) =>
      route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'UNKNOWN_MODULE', message: 'Unknown module "marketing"', details: { available: ['testing'] } } }) }),
    );
    try {
      await other.goto(`${server.url}/dashboard`);
      await other.fill('#api-key', plane.adminKey);
      await other.click('#key-form button[type=submit]');
      await other.waitForSelector('#analytics .status[data-kind=error]', WAIT);
      expect(await other.textContent('#analytics .status')).toBe('Analytics dashboards are unavailable right now (AI DAWG down or busy): AI DAWG is unreachable (503 DAWG_UNAVAILABLE)');
      expect(await other.textContent('#analytics .dashboards')).toBe('No dashboards to show.');
      await other.waitForSelector('#outbox .status[data-kind=error]', WAIT);
      expect(await other.textContent('#outbox .status')).toBe('Outbox messages are not available on this AI DAWG: Unknown module "marketing" (404 UNKNOWN_MODULE)');
      expect(await other.textContent('#outbox tbody')).toBe('No messages to show.');
      // Once the DAWG answers again, Refresh recovers without a reload.
      await other.unroute(dashboardsList);
      await other.click('#analytics button.reload');
      await other.waitForSelector('#analytics .dashboard-view img.chart-image:not([hidden])', WAIT);
      expect(await other.isHidden('#analytics .status')).toBe(true);
      await other.click('#forget-key');
    } finally {
      await other.close();
    }
  });

  test('a key without devops or admin gets clear notes instead of approvals and daily spend', async () => {
    const other = await browser.newPage();
    watch(other);
    try {
      await other.goto(`${server.url}/dashboard`);
      await other.fill('#api-key', plane.userKey);
      await other.click('#key-form button[type=submit]');
      await other.waitForSelector('#live-state[data-state=live]', WAIT);
      await other.waitForSelector('#approvals .status:has-text("devops")', WAIT);
      await other.waitForSelector('#costs .status:has-text("admin")', WAIT);
      await other.waitForSelector('#costs [data-scope=global]', WAIT);
      await other.click('#forget-key');
      await other.waitForSelector('#key-form', WAIT);
      expect(await other.evaluate('sessionStorage.length')).toBe(0);
    } finally {
      await other.close();
    }
    expect(problems).toEqual([]);
  });

  test('over plain HTTP at an address that is not loopback the page loads and goes live (no upgrade to https)', async () => {
    // jarvis.test resolves to 127.0.0.1 inside this browser only: the origin is not loopback,
    // as for a server on a LAN address, but no traffic leaves the machine.
    const lan = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP jarvis.test 127.0.0.1'],
    });
    try {
      const other = await lan.newPage();
      const lanProblems: string[] = [];
      other.on('pageerror', (err) => lanProblems.push(`pageerror: ${err.message}`));
      other.on('requestfailed', (r) => lanProblems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
      const origin = server.url.replace('127.0.0.1', 'jarvis.test');
      await other.goto(`${origin}/dashboard`);
      await other.fill('#api-key', plane.adminKey);
      await other.click('#key-form button[type=submit]');
      await other.waitForSelector('#live-state[data-state=live]', WAIT);
      await other.waitForSelector('#health [data-check=database] .badge:has-text("ok")', WAIT);
      expect(lanProblems).toEqual([]);
    } finally {
      await lan.close();
    }
  });
});
