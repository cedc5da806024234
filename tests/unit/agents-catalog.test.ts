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
function fakeContext(results: Record<string, unknown | ((params: Record<string, unknown>) => unknown)> = {}) {
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
    async call(module, action, params) {
      const target = `${module}.${action}`;
      calls.push({ target, params });
      const answer = results[target];
      return typeof answer === 'function' ? answer(params) : (answer ?? { ok: true, target });
    },
    progress(percent, message) {
      progress.push([percent, message]);
    },
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
  DevOpsEngineer: [['manage-infrastructure', ['devops']]],
  CreativeDirector: [['generate-audio', ['creative']]],
  DataScientist: [['predict-churn', ['analytics']]],
  MarketingStrategist: [
    ['re-engagement-campaign', ['marketing', 'engagement']],
    ['schedule-churn-prevention', ['automation', 'analytics', 'marketing', 'engagement']],
    ['run-automation', ['automation']],
  ],
};

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
  'coordinate-production': { valid: { projectId: 'p1', prompt: 'night drive' }, wrongType: ['duration', '180'] },
  'quality-review': { valid: { projectId: 'p1' }, wrongType: ['maxTruePeakDbtp', '-1'] },
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
  'audio-quality-check': { valid: { fileId: 'f1' }, wrongType: ['targetLufs', 'loud'] },
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

  it('QualityAssurance offers the testing-module checks', () => {
    const listed = agentByName.get('QualityAssurance')?.getCapabilities() ?? [];
    expect(listed.map((c) => c.name)).toEqual(['system-health-check', 'validate-system', 'audio-quality-check']);
    for (const c of listed) expect(c.requiredModules).toEqual(['testing']);
  });

  it('gives every capability name to one agent only, and a timeout of at least 10 s covering its estimate', () => {
    const names = allCapabilities.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { cap } of allCapabilities) {
      expect(cap.timeoutMs).toBeGreaterThanOrEqual(Math.max(10_000, (cap.estimatedDuration ?? 0) * 1000));
    }
  });

  it('does not resume capabilities with external side effects after a crash', () => {
    const notResumable = allCapabilities.filter((c) => !c.cap.resumable).map((c) => c.name);
    expect(notResumable.sort()).toEqual(['campaign-optimization', 'coordinate-production', 'deploy-service', 'generate-audio', 'manage-infrastructure', 're-engagement-campaign', 'scale-infrastructure']);
  });
});

describe('capability payload schemas', () => {
  it('has a sample payload for every capability', () => {
    expect(Object.keys(PAYLOADS).sort()).toEqual(allCapabilities.map((c) => c.name).sort());
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
    expect(spec('QualityAssurance', 'audio-quality-check').payload.parse({ url: 'https://cdn.example.com/a.wav' })).toEqual({
      url: 'https://cdn.example.com/a.wav',
      targetLufs: -14,
      maxTruePeakDbtp: -1,
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
    expect(issuePath('QualityAssurance', 'audio-quality-check', { fileId: 'f1', url: 'https://x.example/a.wav' })).toEqual(['fileId']);
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

  it('coordinate-production goes concept → generation → mix, mapping the mix progress into 40-100', async () => {
    const concept = { title: 'Neon Highway' };
    const fake = fakeContext({ 'creative.song-concept': concept });
    await run('CreativeDirector', 'coordinate-production', { projectId: 'p1', prompt: 'night drive', genre: 'synthwave' }, fake.ctx);
    expect(fake.targets()).toEqual([
      'creative.song-concept',
      'creative.audio-generation',
      'music.balance-levels',
      'music.apply-eq',
      'music.apply-dynamics',
      'music.spatial-processing',
      'music.export-mix',
    ]);
    expect(fake.calls[1]?.params).toEqual({ projectId: 'p1', prompt: 'night drive', concept, genre: 'synthwave', duration: 180, provider: 'suno' });
    expect(fake.progress.map(([pct]) => pct)).toEqual([10, 40, 52, 64, 76, 88, 100]);
  });

  it('quality-review judges the measurement against the payload targets', async () => {
    const loud = fakeContext({ 'music.analyze': { integratedLufs: -9.5, truePeakDbtp: 0.3, crest: 7 } });
    await expect(run('CreativeDirector', 'quality-review', { projectId: 'p1' }, loud.ctx)).resolves.toMatchObject({
      approved: false,
      measured: { integratedLufs: -9.5, truePeakDbtp: 0.3 },
      issues: [expect.stringContaining('Loudness'), expect.stringContaining('True peak')],
    });
    expect(loud.calls).toEqual([{ target: 'music.analyze', params: { projectId: 'p1' } }]);

    const fine = fakeContext({ 'music.analyze': { integratedLufs: -14.4, truePeakDbtp: -1.2 } });
    await expect(run('CreativeDirector', 'quality-review', { projectId: 'p1' }, fine.ctx)).resolves.toMatchObject({ approved: true, issues: [] });

    const odd = fakeContext({ 'music.analyze': { lufs: 'n/a' } });
    await expect(run('CreativeDirector', 'quality-review', { projectId: 'p1' }, odd.ctx)).rejects.toMatchObject({ code: 'DAWG_BAD_RESPONSE' });
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
    expect(result).toMatchObject({ total: 1000, currency: 'USD' });
    expect((result as { findings: Array<{ kind: string; key: string }> }).findings.map((f) => `${f.kind}:${f.key}`)).toEqual(['largest:Amazon EC2', 'largest:Amazon RDS', 'growing:Amazon EC2']);
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
