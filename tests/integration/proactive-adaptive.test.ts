import request from 'supertest';
import { ProactiveEngine, type AdaptiveOptions, type SuggestionEvent } from '../../src/control-plane/proactive';
import type { Principal } from '../../src/control-plane/auth';
import { DB_KINDS } from '../helpers/db';
import { insertFailedTasks } from '../helpers/failed-tasks';
import { listenWithHub, startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { TestSocket } from '../helpers/ws-client';

/*
 * The adaptive engine: a key that keeps dismissing one suggestion is no longer pushed it (still
 * listed, marked muted), unless it comes back more severe, the dismissals age out, or the key
 * forgets them. Real signals (failed task rows), real storage on both backends, real pushes.
 */

jest.setTimeout(60_000);

const keyIdOf = (key: string) => key.split('_')[1]!;
const THRESHOLDS = { failureThreshold: 3, failureWindowMs: 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 };

describe.each(DB_KINDS)('adaptive suggestions on %s', (kind) => {
  let plane: TestPlane;
  let userId: string;
  let user: Principal;
  let admin: Principal;
  let subject: string;

  beforeAll(async () => {
    plane = await startTestPlane({ kind, env: { PROACTIVE_MUTE_AFTER_DISMISSALS: '3', PROACTIVE_MUTE_WINDOW_MS: String(7 * 86_400_000) } });
    userId = keyIdOf(plane.userKey);
    user = { kind: 'api-key', id: userId, scopes: [] };
    admin = { kind: 'api-key', id: keyIdOf(plane.adminKey), scopes: ['admin'] };
    subject = `task-failures:DevOpsEngineer.deploy-service:${userId}`;
  });
  afterAll(async () => {
    await plane?.stop();
  });
  beforeEach(async () => {
    await plane.testDb.db.query('DELETE FROM tasks');
    await plane.testDb.db.query('DELETE FROM suggestion_feedback');
    await plane.proactive!.evaluate();
  });

  /** Another control plane on the same database, with its pushes recorded per key. */
  function instance(adaptive: AdaptiveOptions = { muteAfter: 3, windowMs: 7 * 86_400_000 }) {
    const engine = new ProactiveEngine({ sources: { db: plane.testDb.db, agents: true, firewall: false }, thresholds: THRESHOLDS, adaptive, logger: silentLogger() });
    const pushes: Array<{ event: SuggestionEvent; id: string; toUser: boolean; toAdmin: boolean }> = [];
    engine.onPush((event, s, visibleTo) => pushes.push({ event, id: s.id, toUser: visibleTo(user), toAdmin: visibleTo(admin) }));
    return { engine, pushes };
  }

  const list = async (key: string) => (await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${key}`).expect(200)).body.suggestions as Array<{ id: string; muted?: unknown }>;
  const raise = () => insertFailedTasks(plane.testDb.db, 3, userId);
  const clear = () => plane.testDb.db.query(`UPDATE tasks SET finished_at = now() - interval '2 hours' WHERE status = 'failed'`);

  /** Raises the user's failures suggestion, has the user dismiss it, and clears the signal: `times` times. */
  async function dismissCycles(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      await raise();
      await plane.proactive!.evaluate();
      await request(plane.app).post(`/api/v1/suggestions/${subject}/dismiss`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
      await clear();
      await plane.proactive!.evaluate();
    }
  }

  it('after three dismissals of one suggestion it is listed muted and no longer pushed to that key; others still get it', async () => {
    await dismissCycles(2);
    const other = instance();
    await raise();
    await other.engine.evaluate();
    expect(other.pushes).toEqual([{ event: 'suggestion.raised', id: subject, toUser: true, toAdmin: true }]);
    await plane.proactive!.evaluate();
    await request(plane.app).post(`/api/v1/suggestions/${subject}/dismiss`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
    // A second dismissal of the same raise, through another instance, is not learned twice.
    await other.engine.dismiss(subject, user);
    await clear();
    await plane.proactive!.evaluate();
    await other.engine.evaluate();

    const { body: learned } = await request(plane.app).get('/api/v1/suggestions/feedback').set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(learned).toMatchObject({ muteAfter: 3, windowMs: 7 * 86_400_000, subjects: [{ id: subject, dismissals: 3, mostSevere: 'warning', muted: true }] });

    other.pushes.length = 0;
    await raise();
    await other.engine.evaluate();
    expect(other.pushes).toEqual([{ event: 'suggestion.raised', id: subject, toUser: false, toAdmin: true }]);
    await plane.proactive!.evaluate();
    expect(await list(plane.userKey)).toEqual([expect.objectContaining({ id: subject, muted: { dismissals: 3, lastDismissedAt: expect.any(String) } })]);
    const theirs = (await list(plane.adminKey)).find((s) => s.id === subject);
    expect(theirs).toBeDefined();
    expect(theirs!.muted).toBeUndefined();
    // The admin never dismissed it: nothing learned about the admin.
    const { body: adminLearned } = await request(plane.app).get('/api/v1/suggestions/feedback').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    expect(adminLearned.subjects).toEqual([]);
  });

  it('over WebSocket: the muted key gets no raise, the admin does', async () => {
    await dismissCycles(3);
    const server = await listenWithHub(plane);
    const open = async (key: string) => {
      const socket = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${key}` } });
      await socket.waitFor((m) => m.type === 'ready');
      await socket.request({ type: 'subscribe', channel: 'suggestions' });
      return socket;
    };
    const [userSocket, adminSocket] = [await open(plane.userKey), await open(plane.adminKey)];
    try {
      await raise();
      await plane.proactive!.evaluate();
      await adminSocket.waitFor((m) => m.type === 'event' && m.event === 'suggestion.raised');
      await expect(userSocket.waitFor((m) => m.type === 'event' && m.event === 'suggestion.raised', 300)).rejects.toThrow('no matching message');
    } finally {
      userSocket.close();
      adminSocket.close();
      await server.close();
    }
  });

  it('pushes it again when it comes back more severe than anything the key dismissed', async () => {
    // Three dismissals, all at `info`: the `warning` it is now is news to the key.
    await plane.testDb.db.query(`INSERT INTO suggestion_feedback (key_id, suggestion_id, severity) SELECT $1, $2, 'info' FROM generate_series(1, 3)`, [userId, subject]);
    const { engine, pushes } = instance();
    await raise();
    await engine.evaluate();
    expect(pushes).toEqual([{ event: 'suggestion.raised', id: subject, toUser: true, toAdmin: true }]);
    await plane.proactive!.evaluate();
    expect(await list(plane.userKey)).toEqual([expect.objectContaining({ id: subject })]);
    expect((await list(plane.userKey))[0]!.muted).toBeUndefined();
  });

  it('forgets dismissals older than the window', async () => {
    await plane.testDb.db.query(`INSERT INTO suggestion_feedback (key_id, suggestion_id, severity, dismissed_at) SELECT $1, $2, 'warning', now() - interval '8 days' FROM generate_series(1, 3)`, [userId, subject]);
    const { engine, pushes } = instance();
    await raise();
    await engine.evaluate();
    expect(pushes).toEqual([{ event: 'suggestion.raised', id: subject, toUser: true, toAdmin: true }]);
    expect(await plane.testDb.db.query('SELECT * FROM suggestion_feedback')).toEqual([]);
  });

  it('a key forgets what its dismissals taught: pushed again; unknown subjects 404, bad ids 400', async () => {
    await dismissCycles(3);
    const { body } = await request(plane.app).delete(`/api/v1/suggestions/feedback/${subject}`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(body).toEqual({ id: subject, forgotten: 3 });
    const { engine, pushes } = instance();
    await raise();
    await engine.evaluate();
    expect(pushes).toEqual([{ event: 'suggestion.raised', id: subject, toUser: true, toAdmin: true }]);

    const again = await request(plane.app).delete(`/api/v1/suggestions/feedback/${subject}`).set('authorization', `Bearer ${plane.userKey}`).expect(404);
    expect(again.body.error.code).toBe('FEEDBACK_NOT_FOUND');
    const bad = await request(plane.app).delete('/api/v1/suggestions/feedback/nope').set('authorization', `Bearer ${plane.userKey}`).expect(400);
    expect(bad.body.error.details.issues[0].field).toBe('params.id');
    await request(plane.app).delete(`/api/v1/suggestions/feedback/${subject}`).expect(401);
    // This plane has no webhook to test.
    const none = await request(plane.app).post('/api/v1/suggestions/webhook/test').set('authorization', `Bearer ${plane.adminKey}`).expect(409);
    expect(none.body.error).toMatchObject({ code: 'WEBHOOK_NOT_CONFIGURED', message: expect.stringContaining('PROACTIVE_WEBHOOK_URL') });
  });

  it('with learning off (PROACTIVE_MUTE_AFTER_DISMISSALS=0) keeps no feedback and mutes nothing', async () => {
    const off = instance({ muteAfter: 0, windowMs: 86_400_000 });
    for (let i = 0; i < 3; i++) {
      await raise();
      await off.engine.evaluate();
      await off.engine.dismiss(subject, user);
      await clear();
      await off.engine.evaluate();
    }
    expect(await plane.testDb.db.query('SELECT * FROM suggestion_feedback')).toEqual([]);
    off.pushes.length = 0;
    await raise();
    await off.engine.evaluate();
    expect(off.pushes).toEqual([{ event: 'suggestion.raised', id: subject, toUser: true, toAdmin: true }]);
    expect(await off.engine.feedback.forKey(userId)).toEqual([]);
  });
});
