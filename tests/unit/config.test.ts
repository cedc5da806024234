import { ConfigError } from '../../src/common/env';
import { loadControlPlaneConfig } from '../../src/control-plane/config';
import { loadDawgConfig } from '../../src/dawg/config';

const TOKEN = 's'.repeat(32);

describe('control-plane config', () => {
  it('applies the documented defaults', () => {
    const config = loadControlPlaneConfig({ AI_DAWG_SERVICE_TOKEN: TOKEN });
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 4000, corsOrigins: [], jsonBodyLimit: '1mb' });
    expect(config.dawg).toMatchObject({ baseUrl: 'http://127.0.0.1:3001', timeoutMs: 30_000, retries: 2 });
    expect(config.storage).toMatchObject({ databaseUrl: undefined, dataDir: './data', schema: 'public', redisUrl: undefined });
    expect(config.rateLimits).toEqual({ windowMs: 60_000, health: 1000, execute: 100, chatgpt: 50, devops: 10, default: 300, authFailures: 100 });
    expect(config.features).toEqual({ agentSystem: true, memoryLayer: true, terminalFirewall: true });
    expect(config.aiRouter).toEqual({
      strategy: 'balanced',
      monthlyBudgetUsd: 100,
      shares: new Map([['gemini-pro', 70], ['gpt-4o-mini', 20], ['claude-sonnet-4.5', 10], ['suno-v3', 50], ['udio-v1', 50]]),
      catalogFile: undefined,
      timeoutMs: 60_000,
      maxRetries: 2,
      retryBaseMs: 500,
      retryMaxMs: 8_000,
      maxRetryAfterMs: 20_000,
      maxCandidates: 3,
      breakerCooldownMs: 30_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('memory embedding settings: a local embedding model only with a local server, an explicit model key', () => {
    const base = { AI_DAWG_SERVICE_TOKEN: TOKEN };
    expect(loadControlPlaneConfig(base).memory).toEqual({ vectorDimension: 1536, embeddingModel: undefined, embeddingCacheDays: 90 });
    expect(loadControlPlaneConfig({ ...base, MEMORY_EMBEDDING_CACHE_DAYS: '0' }).memory.embeddingCacheDays).toBe(0);
    expect(() => loadControlPlaneConfig({ ...base, MEMORY_EMBEDDING_CACHE_DAYS: '-1' })).toThrow(/MEMORY_EMBEDDING_CACHE_DAYS/);
    // Without LOCAL_LLM_URL there is no local server to embed with.
    expect(loadControlPlaneConfig({ ...base, LOCAL_EMBEDDING_MODEL: 'nomic-embed-text' }).providers.local).toBeUndefined();
    const config = loadControlPlaneConfig({ ...base, LOCAL_LLM_URL: 'http://127.0.0.1:11434', LOCAL_EMBEDDING_MODEL: 'nomic-embed-text', MEMORY_EMBEDDING_MODEL: 'local-embed' });
    expect(config.providers.local?.embedding).toEqual({ model: 'nomic-embed-text', dimensions: 768 });
    expect(config.memory.embeddingModel).toBe('local-embed');
    expect(() => loadControlPlaneConfig({ ...base, LOCAL_LLM_URL: 'http://127.0.0.1:11434', LOCAL_EMBEDDING_DIMENSIONS: '0' })).toThrow(/LOCAL_EMBEDDING_DIMENSIONS/);
    expect(loadControlPlaneConfig(base).storage.pgliteSharedBuffers).toBeUndefined();
    expect(loadControlPlaneConfig({ ...base, PGLITE_SHARED_BUFFERS: '1GB' }).storage.pgliteSharedBuffers).toBe('1GB');
    expect(() => loadControlPlaneConfig({ ...base, PGLITE_SHARED_BUFFERS: 'lots' })).toThrow(/PGLITE_SHARED_BUFFERS/);
  });

  it('names every offending variable at once, and never echoes a value', () => {
    let error: unknown;
    try {
      loadControlPlaneConfig({
        AI_DAWG_SERVICE_TOKEN: 'short-secret-value',
        JARVIS_PORT: 'abc',
        ENABLE_AGENT_SYSTEM: 'yes',
        AI_ROUTER_STRATEGY: 'cheapest',
        CORS_ORIGINS: 'not a url',
        DATABASE_URL: 'mysql://x',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['AI_DAWG_SERVICE_TOKEN', 'JARVIS_PORT', 'ENABLE_AGENT_SYSTEM', 'AI_ROUTER_STRATEGY', 'CORS_ORIGINS', 'DATABASE_URL']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('short-secret-value');
  });

  it('proactive webhook: off by default; a URL turns it on; a secret needs a URL and the json format', () => {
    const base = { AI_DAWG_SERVICE_TOKEN: TOKEN };
    expect(loadControlPlaneConfig(base).proactive.webhook).toBeUndefined();
    expect(loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_URL: 'https://hooks.example.com/x', PROACTIVE_WEBHOOK_SECRET: 'k'.repeat(16) }).proactive.webhook).toEqual({
      url: 'https://hooks.example.com/x',
      format: 'json',
      minSeverity: 'warning',
      secret: 'k'.repeat(16),
    });
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_URL: 'ftp://hooks.example.com/x' })).toThrow(/PROACTIVE_WEBHOOK_URL: must be an http:\/\/ or https:\/\/ URL/);
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_SECRET: 'k'.repeat(16) })).toThrow(/PROACTIVE_WEBHOOK_URL: PROACTIVE_WEBHOOK_SECRET is set but there is no webhook/);
    let error: unknown;
    try {
      loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X', PROACTIVE_WEBHOOK_FORMAT: 'slack', PROACTIVE_WEBHOOK_SECRET: 'supersecret-value-1234' });
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).toMatch(/PROACTIVE_WEBHOOK_SECRET: signs json deliveries only/);
    expect((error as Error).message).not.toContain('supersecret-value-1234');
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_URL: 'https://h.example.com/', PROACTIVE_WEBHOOK_MIN_SEVERITY: 'loud' })).toThrow(/PROACTIVE_WEBHOOK_MIN_SEVERITY/);
  });

  it('proactive webhook, PagerDuty format: a routing key is required (and only there); the URL defaults to the Events API v2', () => {
    const base = { AI_DAWG_SERVICE_TOKEN: TOKEN };
    const key = 'R0123456789abcdef0123456789abcdef';
    expect(loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_FORMAT: 'pagerduty', PROACTIVE_PAGERDUTY_ROUTING_KEY: key }).proactive.webhook).toEqual({
      url: 'https://events.pagerduty.com/v2/enqueue',
      format: 'pagerduty',
      minSeverity: 'warning',
      routingKey: key,
    });
    expect(loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_URL: 'https://events.eu.pagerduty.com/v2/enqueue', PROACTIVE_WEBHOOK_FORMAT: 'pagerduty', PROACTIVE_PAGERDUTY_ROUTING_KEY: key }).proactive.webhook?.url).toBe('https://events.eu.pagerduty.com/v2/enqueue');
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_FORMAT: 'pagerduty' })).toThrow(/PROACTIVE_PAGERDUTY_ROUTING_KEY: is required with PROACTIVE_WEBHOOK_FORMAT=pagerduty/);
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_URL: 'https://h.example.com/', PROACTIVE_PAGERDUTY_ROUTING_KEY: key })).toThrow(/PROACTIVE_PAGERDUTY_ROUTING_KEY: is used only with PROACTIVE_WEBHOOK_FORMAT=pagerduty/);
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_FORMAT: 'pagerduty', PROACTIVE_PAGERDUTY_ROUTING_KEY: key, PROACTIVE_WEBHOOK_SECRET: 'k'.repeat(16) })).toThrow(/PROACTIVE_WEBHOOK_SECRET: signs json deliveries only/);
    let error: unknown;
    try {
      loadControlPlaneConfig({ ...base, PROACTIVE_WEBHOOK_FORMAT: 'pagerduty', PROACTIVE_PAGERDUTY_ROUTING_KEY: 'not a key!' });
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).toMatch(/PROACTIVE_PAGERDUTY_ROUTING_KEY: must be a PagerDuty integration's routing key/);
    expect((error as Error).message).not.toContain('not a key!');
  });

  it('requires the service token', () => {
    expect(() => loadControlPlaneConfig({})).toThrow(/AI_DAWG_SERVICE_TOKEN/);
  });

  it('parses booleans strictly, lists and numbers', () => {
    const config = loadControlPlaneConfig({
      AI_DAWG_SERVICE_TOKEN: TOKEN,
      ENABLE_AGENT_SYSTEM: 'false',
      ENABLE_MEMORY_LAYER: '0',
      TERMINAL_FIREWALL_ENABLED: '1',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      RATE_LIMIT_EXECUTE_MAX: '7',
      AI_DAWG_BACKEND_URL: 'http://dawg:3001/',
      REDIS_URL: '',
    });
    expect(config.features).toEqual({ agentSystem: false, memoryLayer: false, terminalFirewall: true });
    expect(config.http.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(config.rateLimits.execute).toBe(7);
    expect(config.dawg.baseUrl).toBe('http://dawg:3001');
    expect(config.storage.redisUrl).toBeUndefined();
  });
});

describe('DAWG config', () => {
  it('binds loopback by default and requires the service token', () => {
    expect(loadDawgConfig({ AI_DAWG_SERVICE_TOKEN: TOKEN })).toMatchObject({ host: '127.0.0.1', port: 3001 });
    expect(() => loadDawgConfig({ AI_DAWG_PORT: '70000' })).toThrow(/AI_DAWG_SERVICE_TOKEN[\s\S]*AI_DAWG_PORT|AI_DAWG_PORT[\s\S]*AI_DAWG_SERVICE_TOKEN/);
  });
});
