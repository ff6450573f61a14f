import { ConfigError, loadConfig } from '../src/config/config';

describe('loadConfig', () => {
  it("gives the contract's defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 8001,
      exportUrlTtlSeconds: 86400,
      workerMetricsPort: 9464,
      generationCostCredits: 1,
      webhookAllowPrivateNetworks: false,
      rateLimits: {
        registerPerHour: 5,
        loginPerMinute: 10,
        generatePerMinute: { free: 10, starter: 30, pro: 100, enterprise: null },
      },
      llm: { provider: 'offline' },
      sentry: { tracesSampleRate: 0.1, environment: 'development' },
    });
    expect(config.jwt.generated).toBe(true);
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('picks the openai provider when an API key is set', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test' }).llm.provider).toBe('openai');
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test', LLM_PROVIDER: 'offline' }).llm.provider).toBe('offline');
  });

  it('parses per-plan generate limits, keeping defaults for plans left out', () => {
    const config = loadConfig({ RATE_LIMIT_GENERATE_PER_MINUTE: 'free=3, pro=500' });
    expect(config.rateLimits.generatePerMinute).toEqual({ free: 3, starter: 30, pro: 500, enterprise: null });
  });

  it('parses booleans and lists', () => {
    const config = loadConfig({
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      S3_FORCE_PATH_STYLE: '1',
    });
    expect(config.webhookAllowPrivateNetworks).toBe(true);
    expect(config.s3.forcePathStyle).toBe(true);
  });

  it('no longer reads ADMIN_EMAILS: it only notes that it is set, to warn', () => {
    expect(loadConfig({ ADMIN_EMAILS: 'boss@example.com' }).adminEmailsIgnored).toBe(true);
    expect(loadConfig({}).adminEmailsIgnored).toBe(false);
    expect(JSON.stringify(loadConfig({ ADMIN_EMAILS: 'boss@example.com' }))).not.toContain('boss@example.com');
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT is malformed/],
    [{ PORT: '70000' }, /PORT is malformed/],
    [{ MONGO_URL: 'http://db' }, /MONGO_URL is malformed/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL is malformed/],
    [{ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'maybe' }, /WEBHOOK_ALLOW_PRIVATE_NETWORKS is malformed/],
    [{ RATE_LIMIT_GENERATE_PER_MINUTE: 'gold=5' }, /RATE_LIMIT_GENERATE_PER_MINUTE is malformed: "gold=5"/],
    [{ LLM_PROVIDER: 'anthropic' }, /LLM_PROVIDER is malformed/],
    [{ NODE_ENV: 'production' }, /JWT_SECRET is required when NODE_ENV=production/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET is malformed: must be at least 32 characters/],
    [{ LLM_PROVIDER: 'openai' }, /OPENAI_API_KEY is required/],
    [{ ADMIN_USER: 'admin' }, /ADMIN_USER and ADMIN_PASSWORD must be set together/],
    [{ SENTRY_TRACES_SAMPLE_RATE: '2' }, /SENTRY_TRACES_SAMPLE_RATE is malformed/],
  ])('refuses %j with one line naming the variable', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('takes a price table as JSON and names it when malformed', () => {
    expect(loadConfig({ LLM_PRICES_JSON: '{"my-model":{"input":0.5,"output":1.5}}' }).llm.prices).toEqual({
      'my-model': { input: 0.5, output: 1.5 },
    });
    expect(() => loadConfig({ LLM_PRICES_JSON: '{"my-model":{"input":"cheap"}}' })).toThrow(
      /LLM_PRICES_JSON is malformed/,
    );
    expect(() => loadConfig({ LLM_PRICES_JSON: 'not json' })).toThrow(/LLM_PRICES_JSON is malformed/);
  });

  it('treats empty values as unset, as .env files write them', () => {
    expect(loadConfig({ PORT: '', OPENAI_API_KEY: '' })).toMatchObject({ port: 8001, llm: { provider: 'offline' } });
  });
});
