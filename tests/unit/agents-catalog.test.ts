import { AppError } from '../../src/common/errors';
import type { BaseAgent } from '../../src/control-plane/agents/base-agent';
import { createDefaultAgents } from '../../src/control-plane/agents/catalog';
import type { CapabilityContext, CapabilitySpec } from '../../src/control-plane/agents/types';
import { silentLogger } from '../helpers/logger';

interface Call {
  target: string;
  params: Record<string, unknown>;
}

/**
 * A CapabilityContext that records every DAWG call and progress report. `results` answers per
 * `module.action`; a function there may throw or abort, to play a failing or cancelled DAWG.
 */
function fakeContext(results: Record<string, unknown | ((params: Record<string, unknown>) => unknown)> = {}, extra: Partial<CapabilityContext> = {}) {
  const controller = new AbortController();
  const calls: Call[] = [];
  const progress: Array<[number, string | undefined]> = [];
  const ctx: CapabilityContext = {
    taskId: 'task-1',
    agent: 'test',
    attempt: 1,
    signal: controller.signal,
    logger: silentLogger(),
    ai: () => Promise.reject(new Error('these agents do not chat')),
    recall: async () => [],
    schedule: () => Promise.reject(new Error('these agents do not schedule')),
    startWorkflow: () => Promise.reject(new Error('no workflows here')),
    publishTrack: () => Promise.reject(new Error('no catalog here')),
    async call(module, action, params) {
      const target = `${module}.${action}`;
      calls.push({ target, params });
      const answer = results[target];
      return typeof answer === 'function' ? answer(params) : (answer ?? { ok: true, target });
    },
    progress(percent, message) {
      progress.push([percent, message]);
    },
    ...extra,
  };
  return { ctx, calls, progress, controller, targets: () => calls.map((c) => c.target) };
}

const agents = createDefaultAgents();
const agentByName = new Map(agents.map((a) => [a.name, a]));

function spec(agentName: string, capabilityName: string): CapabilitySpec {
  const found = agentByName.get(agentName)?.capability(capabilityName);
  if (!found) throw new Error(`missing ${agentName}.${capabilityName}`);
  return found;
}

function run(agentName: string, capabilityName: string, payload: unknown, ctx: CapabilityContext) {
  const cap = spec(agentName, capabilityName);
  return cap.run(cap.payload.parse(payload), ctx);
}

/** Blueprint §2.2: name, description, requiredModules, estimatedDuration. */
const BLUEPRINT: Record<string, Array<[string, string, string[], number]>> = {
  MixingEngineer: [
    ['balance-mix', 'Balance levels across all tracks', ['music'], 45],
    ['apply-eq', 'Apply frequency shaping and EQ', ['music'], 30],
    ['apply-compression', 'Apply dynamic range compression', ['music'], 30],
    ['spatial-mixing', 'Create stereo width and depth', ['music'], 40],
    ['full-mix', 'Complete professional mixing pipeline', ['music'], 180],
  ],
  DataScientist: [
    ['analyze-dataset', 'Perform exploratory data analysis', ['analytics'], 60],
    ['build-forecast-model', 'Build time-series forecasting model', ['analytics', 'automation'], 120],
    ['segment-users', 'Perform user segmentation analysis', ['analytics', 'marketing'], 90],
    ['detect-anomalies', 'Detect anomalies in data streams', ['analytics'], 45],
  ],
  DevOpsEngineer: [
    ['deploy-service', 'Deploy applications to cloud environments', ['devops'], 300],
    ['scale-infrastructure', 'Auto-scale cloud resources', ['devops', 'automation'], 120],
    ['troubleshoot-incident', 'Diagnose and resolve production incidents', ['devops', 'testing'], 180],
    ['optimize-costs', 'Analyze and reduce cloud costs', ['devops', 'analytics'], 90],
  ],
  MarketingStrategist: [
    ['campaign-optimization', 'Optimize marketing campaigns using ML', ['marketing', 'analytics'], 60],
    ['audience-targeting', 'Generate targeted audience segments', ['marketing', 'engagement'], 45],
    ['content-strategy', 'Generate content calendar and strategy', ['marketing'], 90],
  ],
  CreativeDirector: [
    ['generate-song-concept', 'Create song concept and production plan', ['creative', 'music'], 30],
    ['coordinate-production', 'Coordinate multi-agent music production', ['creative', 'music'], 600],
    ['quality-review', 'Review and approve creative output', ['creative', 'music'], 45],
  ],
};

/**
 * Capabilities beyond the blueprint's, after its own: the DAWG actions that ChatGPT Actions run
 * as jobs (issue 9), each forwarding to one module action with that action's own schema.
 */
const EXTRA: Record<string, Array<[string, string[]]>> = {
  MixingEngineer: [['mix-tracks', ['creative']], ['master-track', ['creative']]],
  DevOpsEngineer: [['manage-infrastructure', ['devops']], ['deploy-to-catalog', []]],
  CreativeDirector: [['generate-audio', ['creative']]],
  DataScientist: [['predict-churn', ['analytics']]],
  MarketingStrategist: [
    ['re-engagement-campaign', ['marketing', 'engagement']],
    ['schedule-churn-prevention', ['automation', 'analytics', 'marketing', 'engagement']],
    ['run-automation', ['automation']],
  ],
};

const FILE = 'f_01234567-89ab-cdef-0123-456789abcdef';
const FILE2 = 'f_11111111-89ab-cdef-0123-456789abcdef';

/** Per capability: a minimal valid payload and one field set to a value of the wrong type. */
const PAYLOADS: Record<string, { valid: Record<string, unknown>; wrongType: [string, unknown] }> = {
  'balance-mix': { valid: { projectId: 'p1' }, wrongType: ['targetLUFS', '-14'] },
  'apply-eq': { valid: { projectId: 'p1' }, wrongType: ['trackIds', 't1'] },
  'apply-compression': { valid: { projectId: 'p1' }, wrongType: ['ratio', '4:1'] },
  'spatial-mixing': { valid: { projectId: 'p1' }, wrongType: ['width', true] },
  'full-mix': { valid: { projectId: 'p1' }, wrongType: ['projectId', 42] },
  'analyze-dataset': { valid: { dataset: 'streams' }, wrongType: ['columns', 'plays'] },
  'build-forecast-model': {
    valid: { dataset: 'streams', targetColumn: 'plays', timeColumn: 'day' },
    wrongType: ['horizon', '30'],
  },
  'segment-users': { valid: { dataset: 'users', features: ['plays'] }, wrongType: ['segments', 'five'] },
  'detect-anomalies': { valid: { dataset: 'streams', metric: 'plays' }, wrongType: ['sensitivity', 'high'] },
  'deploy-service': { valid: { service: 'jarvis-api', environment: 'staging' }, wrongType: ['version', 2] },
  'scale-infrastructure': {
    valid: { service: 'jarvis-api', environment: 'production', minReplicas: 2, maxReplicas: 6 },
    wrongType: ['maxReplicas', '6'],
  },
  'troubleshoot-incident': { valid: { service: 'jarvis-api' }, wrongType: ['lookbackMinutes', '60'] },
  'optimize-costs': { valid: {}, wrongType: ['lookbackDays', [30]] },
  'campaign-optimization': { valid: { campaignId: 'c1' }, wrongType: ['dailyBudgetUsd', '50'] },
  'audience-targeting': { valid: { goal: 'pre-saves' }, wrongType: ['maxSegments', null] },
  'content-strategy': { valid: { goal: 'launch', channels: ['tiktok'] }, wrongType: ['channels', 'tiktok'] },
  'generate-song-concept': { valid: { prompt: 'night drive' }, wrongType: ['genre', 7] },
  'coordinate-production': { valid: { prompt: 'night drive' }, wrongType: ['duration', '180'] },
  'quality-review': { valid: { fileId: FILE }, wrongType: ['maxTruePeakDbtp', '-1'] },
  'deploy-to-catalog': { valid: { fileId: FILE, title: 'Neon Dreams' }, wrongType: ['bpm', '128'] },
  'mix-tracks': { valid: { fileIds: ['f_01234567-89ab-cdef-0123-456789abcdef'] }, wrongType: ['targetLUFS', '-14'] },
  'master-track': { valid: { fileId: 'f_01234567-89ab-cdef-0123-456789abcdef' }, wrongType: ['lufs', '-14'] },
  'manage-infrastructure': { valid: { action: 'plan', provider: 'terraform' }, wrongType: ['targetResources', 'aws_instance.web'] },
  'generate-audio': { valid: { prompt: 'night drive' }, wrongType: ['duration', '60'] },
  'predict-churn': { valid: {}, wrongType: ['threshold', '0.5'] },
  're-engagement-campaign': { valid: {}, wrongType: ['maxSegments', '3'] },
  'schedule-churn-prevention': { valid: { modelId: 'mdl_01234567-89ab-cdef-0123-456789abcdef' }, wrongType: ['cron', 9] },
  'run-automation': { valid: { workflow: 'ChurnPrevention_Nov2026' }, wrongType: ['workflow', 7] },
  'system-health-check': { valid: {}, wrongType: ['', 'not an object'] },
  'validate-system': { valid: {}, wrongType: ['checks', 'disk'] },
  'audio-quality-check': { valid: { fileId: FILE }, wrongType: ['targetLufs', 'loud'] },
};

const allCapabilities = agents.flatMap((agent: BaseAgent) =>
  agent.capabilityNames.map((name) => ({ agent: agent.name, name, cap: spec(agent.name, name) })),
);

describe('agent catalog', () => {
  it('creates the six agents, fresh on every call', () => {
    expect(agents.map((a) => a.name)).toEqual([
      'MixingEngineer',
      'DataScientist',
      'DevOpsEngineer',
      'MarketingStrategist',
      'CreativeDirector',
      'QualityAssurance',
    ]);
    expect(createDefaultAgents()[0]).not.toBe(agents[0]);
  });

  it.each(Object.entries(BLUEPRINT))('%s offers the blueprint capabilities first, then only the listed extras', (agentName, expected) => {
    const listed = agentByName.get(agentName)?.getCapabilities() ?? [];
    expect(listed.slice(0, expected.length)).toEqual(
      expected.map(([name, description, requiredModules, estimatedDuration]) => ({ name, description, requiredModules, estimatedDuration })),
    );
    expect(listed.slice(expected.length).map((c) => [c.name, c.requiredModules])).toEqual(EXTRA[agentName] ?? []);
  });

  it('QualityAssurance offers the testing-module checks and the review of masters', () => {
    const listed = agentByName.get('QualityAssurance')?.getCapabilities() ?? [];
    expect(listed.map((c) => [c.name, c.requiredModules])).toEqual([
      ['system-health-check', ['testing']],
      ['validate-system', ['testing']],
      ['audio-quality-check', ['testing']],
      ['quality-review', ['testing', 'creative']],
    ]);
  });

  it('gives every capability name to one agent only (but quality-review, the QualityAssurance\'s under the blueprint\'s CreativeDirector too), and a timeout of at least 10 s covering its estimate', () => {
    const names = allCapabilities.map((c) => c.name);
    expect(names.filter((n) => n === 'quality-review')).toHaveLength(2);
    expect(spec('CreativeDirector', 'quality-review').run).toBe(spec('QualityAssurance', 'quality-review').run);
    expect(new Set(names).size).toBe(names.length - 1);
    for (const { cap } of allCapabilities) {
      expect(cap.timeoutMs).toBeGreaterThanOrEqual(Math.max(10_000, (cap.estimatedDuration ?? 0) * 1000));
    }
  });

  it('does not resume capabilities with external side effects after a crash', () => {
    const notResumable = allCapabilities.filter((c) => !c.cap.resumable).map((c) => c.name);
    expect(notResumable.sort()).toEqual(['campaign-optimization', 'deploy-service', 'generate-audio', 'manage-infrastructure', 're-engagement-campaign', 'scale-infrastructure']);
  });
});

describe('capability payload schemas', () => {
  it('has a sample payload for every capability', () => {
    expect(Object.keys(PAYLOADS).sort()).toEqual([...new Set(allCapabilities.map((c) => c.name))].sort());
  });

  it.each(allCapabilities.map((c) => [c.name, c.cap] as const))('%s accepts its sample and rejects unknown keys and wrong types', (name, cap) => {
    const { valid, wrongType } = PAYLOADS[name]!;
    expect(cap.payload.safeParse(valid).success).toBe(true);

    const unknownKey = cap.payload.safeParse({ ...valid, bogus: 1 });
    expect(unknownKey.success).toBe(false);
    expect(unknownKey.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['bogus'] })]);

    const [field, value] = wrongType;
    const wrong = cap.payload.safeParse(field === '' ? value : { ...valid, [field]: value });
    expect(wrong.success).toBe(false);
    expect(wrong.error?.issues[0]).toMatchObject({ code: 'invalid_type', path: field === '' ? [] : [field] });
  });

  it('applies the documented defaults', () => {
    expect(spec('MixingEngineer', 'balance-mix').payload.parse({ projectId: 'p1' })).toEqual({ projectId: 'p1', targetLUFS: -14 });
    expect(spec('MixingEngineer', 'apply-compression').payload.parse({ projectId: 'p1' })).toEqual({
      projectId: 'p1',
      ratio: 4,
      threshold: -18,
      attack: 10,
      release: 100,
    });
    expect(spec('QualityAssurance', 'audio-quality-check').payload.parse({ fileId: FILE })).toEqual({
      fileId: FILE,
      targetLufs: -14,
      lufsTolerance: 1,
      maxTruePeakDbtp: -1,
      durationToleranceSeconds: 2,
      maxSilenceSeconds: 2,
    });
  });

  it('enforces bounds and cross-field rules', () => {
    const issuePath = (agent: string, cap: string, payload: unknown) => spec(agent, cap).payload.safeParse(payload).error?.issues[0]?.path;
    expect(issuePath('MixingEngineer', 'balance-mix', { projectId: 'p1', targetLUFS: 3 })).toEqual(['targetLUFS']);
    expect(issuePath('MixingEngineer', 'apply-compression', { projectId: 'p1', ratio: 0.5 })).toEqual(['ratio']);
    expect(issuePath('MixingEngineer', 'balance-mix', { projectId: '' })).toEqual(['projectId']);
    expect(issuePath('DevOpsEngineer', 'scale-infrastructure', { service: 'api', environment: 'staging', minReplicas: 5, maxReplicas: 2 })).toEqual([
      'minReplicas',
    ]);
    expect(issuePath('QualityAssurance', 'audio-quality-check', {})).toEqual(['fileId']);
    expect(issuePath('QualityAssurance', 'audio-quality-check', { fileId: 'f1' })).toEqual(['fileId']);
    expect(issuePath('QualityAssurance', 'quality-review', { fileId: FILE, remasterFrom: 'mix' })).toEqual(['remasterFrom']);
  });
});

describe('capability runs', () => {
  it('balance-mix calls music.balance-levels with the default target', async () => {
    const fake = fakeContext({ 'music.balance-levels': { lufs: -14.2 } });
    const result = await run('MixingEngineer', 'balance-mix', { projectId: 'p1' }, fake.ctx);
    expect(fake.calls).toEqual([{ target: 'music.balance-levels', params: { projectId: 'p1', targetLUFS: -14, analyzeFrequencies: true } }]);
    expect(result).toEqual({ projectId: 'p1', targetLUFS: -14, balance: { lufs: -14.2 } });
  });

  it('full-mix runs the five steps in order with the blueprint settings and reports progress', async () => {
    const fake = fakeContext({ 'music.export-mix': { url: 'https://dawg.example/mix.wav' } });
    const result = await run('MixingEngineer', 'full-mix', { projectId: 'p1', targetLUFS: -16 }, fake.ctx);
    expect(fake.calls).toEqual([
      { target: 'music.balance-levels', params: { projectId: 'p1', targetLUFS: -16, analyzeFrequencies: true } },
      { target: 'music.apply-eq', params: { projectId: 'p1', eqProfile: 'mastering-ready', autoCorrectResonances: true } },
      { target: 'music.apply-dynamics', params: { projectId: 'p1', compressionRatio: 3, threshold: -16, attackMs: 10, releaseMs: 100 } },
      { target: 'music.spatial-processing', params: { projectId: 'p1', stereoWidth: 80, reverbAmount: 30, delayPatterns: [] } },
      { target: 'music.export-mix', params: { projectId: 'p1', format: 'wav', bitDepth: 24, sampleRate: 48000 } },
    ]);
    expect(fake.progress.map(([pct]) => pct)).toEqual([20, 40, 60, 80, 100]);
    expect(result).toMatchObject({ projectId: 'p1', mix: { url: 'https://dawg.example/mix.wav' } });
  });

  it('system-health-check calls testing.health-check and returns its result', async () => {
    const health = { status: 'ok', uptimeSeconds: 12, modules: ['testing'] };
    const fake = fakeContext({ 'testing.health-check': health });
    await expect(run('QualityAssurance', 'system-health-check', {}, fake.ctx)).resolves.toEqual({ health });
    expect(fake.calls).toEqual([{ target: 'testing.health-check', params: {} }]);
  });

  it('validate-system passes the named checks through, and none when omitted', async () => {
    const fake = fakeContext();
    await run('QualityAssurance', 'validate-system', { checks: ['disk-space'] }, fake.ctx);
    await run('QualityAssurance', 'validate-system', {}, fake.ctx);
    expect(fake.calls.map((c) => c.params)).toEqual([{ checks: ['disk-space'] }, {}]);
  });

  it('lets a module error propagate and starts no further step', async () => {
    const unavailable = new AppError(503, 'MODULE_ACTION_UNAVAILABLE', 'music.apply-eq is not offered by the AI DAWG');
    const fake = fakeContext({
      'music.apply-eq': () => {
        throw unavailable;
      },
    });
    await expect(run('MixingEngineer', 'full-mix', { projectId: 'p1' }, fake.ctx)).rejects.toBe(unavailable);
    expect(fake.targets()).toEqual(['music.balance-levels', 'music.apply-eq']);
  });

  it('full-mix stops calling the DAWG once the task is cancelled', async () => {
    const fake = fakeContext({
      'music.apply-eq': () => {
        fake.controller.abort();
        return { applied: true };
      },
    });
    await expect(run('MixingEngineer', 'full-mix', { projectId: 'p1' }, fake.ctx)).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.targets()).toEqual(['music.balance-levels', 'music.apply-eq']);
  });

  it('throws the abort reason when the signal carries one', async () => {
    const reason = new Error('task timed out');
    const fake = fakeContext();
    fake.controller.abort(reason);
    await expect(run('MixingEngineer', 'full-mix', { projectId: 'p1' }, fake.ctx)).rejects.toBe(reason);
    expect(fake.calls).toEqual([]);
  });

  it('coordinate-production starts the production workflow, once per task', async () => {
    const started: Array<{ name: string; kind?: string; steps: readonly { key: string; agent: string; taskType: string; inputs: Record<string, string> }[] }> = [];
    const fake = fakeContext({}, { startWorkflow: async (spec) => (started.push(spec), { workflowId: 'wf_1', taskIds: { concept: 't1' } }) });
    const result = await run('CreativeDirector', 'coordinate-production', { prompt: "a synthwave track called 'Neon Dreams'", duration: 30 }, fake.ctx);
    expect(started).toHaveLength(1);
    expect(started[0]!.kind).toBe('production');
    expect(started[0]!.steps.map((s) => `${s.key}:${s.agent}.${s.taskType}`)).toEqual([
      'concept:CreativeDirector.generate-song-concept',
      'generate:CreativeDirector.generate-audio',
      'mix:MixingEngineer.full-mix',
      'master:MixingEngineer.master-track',
      'review:QualityAssurance.quality-review',
      'publish:DevOpsEngineer.deploy-to-catalog',
    ]);
    expect(started[0]!.steps[4]!.inputs).toEqual({ fileId: 'master.fileId', remasterFrom: 'mix.mix.fileId', expectedDurationSeconds: 'concept.concept.durationSeconds' });
    expect(result).toMatchObject({ workflowId: 'wf_1', jobUrl: '/integrations/chatgpt/jobs/wf_1' });
    expect(fake.calls).toEqual([]);
  });

  it('generate-song-concept keeps the rules\' concept offline, and lets a language model refine all but what the user said', async () => {
    const draft = {
      title: 'Neon Dreams', genre: 'synthwave', bpm: 110, key: 'A minor', mood: 'nostalgic', durationSeconds: 30,
      structure: [{ section: 'intro', bars: 4, startSeconds: 0 }], theme: 'A drive at night', lyrics: null, source: 'rules', notes: [],
    };
    const answer = (content: string, offline: boolean) => async () => ({ content, offline, model: offline ? 'offline-v1' : 'gpt-test' }) as never;
    const offline = fakeContext({ 'creative.song-concept': draft }, { ai: answer('digest of the prompt', true) });
    await expect(run('CreativeDirector', 'generate-song-concept', { prompt: 'night drive' }, offline.ctx)).resolves.toMatchObject({ concept: draft, source: 'rules' });

    const refined = fakeContext({ 'creative.song-concept': draft }, { ai: answer('Sure: {"title":"Midnight Run","bpm":118,"mood":"driving"}', false) });
    await expect(run('CreativeDirector', 'generate-song-concept', { prompt: 'night drive', title: 'Neon Dreams' }, refined.ctx)).resolves.toMatchObject({
      concept: { ...draft, title: 'Neon Dreams', bpm: 118, mood: 'driving' },
      source: 'ai',
      model: 'gpt-test',
    });

    const unusable = fakeContext({ 'creative.song-concept': draft }, { ai: answer('{"bpm": 500}', false) });
    await expect(run('CreativeDirector', 'generate-song-concept', { prompt: 'night drive' }, unusable.ctx)).resolves.toMatchObject({ concept: draft, source: 'rules' });
  });

  describe('quality-review', () => {
    const check = (fileId: string, failures: string[]) => ({ fileId, ok: failures.length === 0, checks: [{ name: 'loudness', ok: failures.length === 0 }], failures, measured: { integratedLufs: -14 } });

    it('approves a master whose checks pass, without mastering again', async () => {
      const fake = fakeContext({ 'testing.audio-check': check(FILE, []) });
      await expect(run('QualityAssurance', 'quality-review', { fileId: FILE, remasterFrom: FILE2 }, fake.ctx)).resolves.toMatchObject({ fileId: FILE, approved: true, remastered: false });
      expect(fake.targets()).toEqual(['testing.audio-check']);
      expect(fake.calls[0]!.params).toMatchObject({ fileId: FILE, targetLufs: -14, maxTruePeakDbtp: -1 });
    });

    it('sends a failed master back through mastering once and approves the new one', async () => {
      const fake = fakeContext({
        'testing.audio-check': (p: Record<string, unknown>) => check(String(p.fileId), p.fileId === FILE ? ['Loudness -11 LUFS is outside -14 ± 1 LUFS'] : []),
        'creative.master-track': { fileId: 'f_22222222-89ab-cdef-0123-456789abcdef' },
      });
      await expect(run('QualityAssurance', 'quality-review', { fileId: FILE, remasterFrom: FILE2 }, fake.ctx)).resolves.toMatchObject({
        fileId: 'f_22222222-89ab-cdef-0123-456789abcdef',
        approved: true,
        remastered: true,
        attempts: [{ fileId: FILE, ok: false }, { ok: true }],
      });
      expect(fake.calls[1]).toEqual({ target: 'creative.master-track', params: { fileId: FILE2, target: 'custom', lufs: -14, truePeak: -1.5 } });
    });

    it('fails with the reasons when the second master fails too, or when there is nothing to master again', async () => {
      const failing = () => fakeContext({ 'testing.audio-check': (p: Record<string, unknown>) => check(String(p.fileId), ['Duration 20 s is not 180 ± 4 s']), 'creative.master-track': { fileId: FILE2 } });
      const twice = failing();
      await expect(run('QualityAssurance', 'quality-review', { fileId: FILE, remasterFrom: FILE2 }, twice.ctx)).rejects.toMatchObject({
        status: 422,
        code: 'QUALITY_REVIEW_FAILED',
        details: { failures: ['Duration 20 s is not 180 ± 4 s'] },
      });
      expect(twice.targets()).toEqual(['testing.audio-check', 'creative.master-track', 'testing.audio-check']);
      const once = failing();
      await expect(run('QualityAssurance', 'quality-review', { fileId: FILE }, once.ctx)).rejects.toMatchObject({ code: 'QUALITY_REVIEW_FAILED' });
      expect(once.targets()).toEqual(['testing.audio-check']);
      const odd = fakeContext({ 'testing.audio-check': { lufs: 'n/a' } });
      await expect(run('QualityAssurance', 'quality-review', { fileId: FILE }, odd.ctx)).rejects.toMatchObject({ code: 'DAWG_BAD_RESPONSE' });
    });
  });

  it('deploy-to-catalog publishes through the catalog as the task', async () => {
    const published: unknown[] = [];
    const fake = fakeContext({}, { publishTrack: async (input) => (published.push(input), { id: 'neon-dreams-20261205-abcdef' }) as never });
    await expect(run('DevOpsEngineer', 'deploy-to-catalog', { fileId: FILE, title: 'Neon Dreams', bpm: 110 }, fake.ctx)).resolves.toEqual({ id: 'neon-dreams-20261205-abcdef' });
    expect(published).toEqual([{ fileId: FILE, title: 'Neon Dreams', bpm: 110 }]);
  });

  it('troubleshoot-incident searches the requested window, then checks health', async () => {
    const fake = fakeContext();
    const result = await run('DevOpsEngineer', 'troubleshoot-incident', { service: 'jarvis-api', lookbackMinutes: 30 }, fake.ctx);
    expect(fake.targets()).toEqual(['devops.query-logs', 'devops.deployments', 'testing.health-check']);
    expect(fake.calls[1]?.params).toEqual({ service: 'jarvis-api', limit: 5 });
    const logParams = fake.calls[0]!.params as { timeRange: { start: string; end: string } };
    expect(Date.parse(logParams.timeRange.end) - Date.parse(logParams.timeRange.start)).toBe(30 * 60_000);
    expect(fake.calls[0]?.params).toMatchObject({ services: ['jarvis-api'], severity: ['error', 'critical'], detectAnomalies: true });
    expect(result).toMatchObject({ service: 'jarvis-api', health: { ok: true, target: 'testing.health-check' } });
  });

  it('deploy-service answers the deployment when it took, and fails the task with the record when it rolled back', async () => {
    const ok = fakeContext({ 'devops.deploy-service': { success: true, status: 'succeeded', deploymentId: 'dep_1', version: '1.2.0' } });
    await expect(run('DevOpsEngineer', 'deploy-service', { service: 'jarvis-api', environment: 'staging', version: '1.2.0' }, ok.ctx)).resolves.toMatchObject({ deployment: { deploymentId: 'dep_1' } });
    expect(ok.calls).toEqual([{ target: 'devops.deploy-service', params: { service: 'jarvis-api', environment: 'staging', version: '1.2.0', strategy: 'rolling' } }]);

    const record = { success: false, status: 'rolled-back', deploymentId: 'dep_2', version: '2.0.0', previousVersion: '1.2.0', reason: 'final health check: answered HTTP 500' };
    const back = fakeContext({ 'devops.deploy-service': record });
    await expect(run('DevOpsEngineer', 'deploy-service', { service: 'jarvis-api', environment: 'staging', version: '2.0.0' }, back.ctx)).rejects.toMatchObject({
      code: 'DEPLOY_ROLLED_BACK',
      message: expect.stringContaining('answered HTTP 500'),
      details: { deployment: record },
    });
    const failed = fakeContext({ 'devops.deploy-service': { ...record, status: 'failed' } });
    await expect(run('DevOpsEngineer', 'deploy-service', { service: 'jarvis-api', environment: 'staging' }, failed.ctx)).rejects.toMatchObject({ code: 'DEPLOY_FAILED' });
  });

  it('optimize-costs reads the cost report and names the largest and fastest-growing groups with their figures', async () => {
    const report = {
      status: 'finished',
      total: 1000,
      currency: 'USD',
      byGroup: [
        { key: 'Amazon EC2', amount: 600, share: 0.6, trendPerDay: 1.5, changePercent: 35.2 },
        { key: 'Amazon RDS', amount: 250, share: 0.25, trendPerDay: -0.2, changePercent: -4 },
        { key: 'Amazon S3', amount: 150, share: 0.15, trendPerDay: 0.1, changePercent: 5 },
      ],
    };
    const fake = fakeContext({ 'devops.cost-report': report });
    const result = await run('DevOpsEngineer', 'optimize-costs', {}, fake.ctx);
    expect(fake.calls).toEqual([{ target: 'devops.cost-report', params: { lookbackDays: 30, groupBy: 'service' } }]);
    expect(result).toMatchObject({ total: 1000, currency: 'USD', daily: { status: 'skipped', reason: expect.stringContaining('0 days of costs') } });
    expect((result as { findings: Array<{ kind: string; key: string }> }).findings.map((f) => `${f.kind}:${f.key}`)).toEqual(['largest:Amazon EC2', 'largest:Amazon RDS', 'growing:Amazon EC2']);
  });

  it('optimize-costs sends the daily totals to the analytics module: high days as spikes (largest first), a projection never below zero', async () => {
    const daily = Array.from({ length: 10 }, (_, i) => ({ date: `2026-11-${String(i + 1).padStart(2, '0')}`, amount: 50 - i }));
    const fake = fakeContext({
      'devops.cost-report': { status: 'finished', total: 455, currency: 'USD', byGroup: [], daily },
      'analytics.ml-model': (params: Record<string, unknown>) =>
        params.kind === 'anomaly'
          ? {
              modelId: 'mdl_a',
              metrics: { threshold: 3.9, period: null },
              anomalies: [
                { t: '2026-11-03', value: 90, expected: 48, score: 5.2, direction: 'high' },
                { t: '2026-11-05', value: 2, expected: 46, score: 6.1, direction: 'low' },
                { t: '2026-11-08', value: 140, expected: 43, score: 9.4, direction: 'high' },
              ],
            }
          : {
              modelId: 'mdl_f',
              method: 'holt-linear',
              confidence: 0.9,
              metrics: { holdout: { mae: 1.234 } },
              forecast: [
                { t: '2026-11-11', yhat: 1.5, lower: -2, upper: 5 },
                { t: '2026-11-12', yhat: -0.5, lower: -4, upper: 3 },
              ],
            },
    });
    const result = (await run('DevOpsEngineer', 'optimize-costs', { projectionDays: 2 }, fake.ctx)) as { daily: unknown };
    const data = daily.map((d) => ({ date: d.date, amount: d.amount }));
    expect(fake.calls.slice(1)).toEqual([
      { target: 'analytics.ml-model', params: { kind: 'anomaly', name: 'optimize-costs: daily spend', data, metric: 'amount', timeColumn: 'date', sensitivity: 0.95 } },
      { target: 'analytics.ml-model', params: { kind: 'forecast', name: 'optimize-costs: daily spend', data, timeColumn: 'date', targetColumn: 'amount', horizon: 2, confidence: 0.9 } },
    ]);
    expect(result.daily).toEqual({
      status: 'analysed',
      spikes: [
        { date: '2026-11-08', amount: 140, expected: 43, excess: 97, score: 9.4 },
        { date: '2026-11-03', amount: 90, expected: 48, excess: 42, score: 5.2 },
      ],
      projection: { days: 2, total: 1.5, method: 'holt-linear', holdoutMae: 1.23, lastDay: { date: '2026-11-12', amount: 0, lower: 0, upper: 3, confidence: 0.9 } },
      modelIds: { anomaly: 'mdl_a', forecast: 'mdl_f' },
    });
  });

  it('scale-infrastructure asks the devops module to scale the declared service', async () => {
    const fake = fakeContext();
    await run('DevOpsEngineer', 'scale-infrastructure', { service: 'api', environment: 'production', minReplicas: 2, maxReplicas: 6 }, fake.ctx);
    expect(fake.calls).toEqual([{ target: 'devops.scale-service', params: { service: 'api', environment: 'production', minReplicas: 2, maxReplicas: 6, targetCpuPercent: 70 } }]);
  });

  it('DataScientist models pass the model kind', async () => {
    const fake = fakeContext();
    await run('DataScientist', 'build-forecast-model', PAYLOADS['build-forecast-model']!.valid, fake.ctx);
    await run('DataScientist', 'segment-users', PAYLOADS['segment-users']!.valid, fake.ctx);
    await run('DataScientist', 'detect-anomalies', PAYLOADS['detect-anomalies']!.valid, fake.ctx);
    expect(fake.calls.map((c) => [c.target, c.params.kind])).toEqual([
      ['analytics.ml-model', 'forecast'],
      ['analytics.ml-model', 'cluster'],
      ['analytics.ml-model', 'anomaly'],
    ]);
  });
});
