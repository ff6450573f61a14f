import request from 'supertest';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry';
import { createProject, generate, waitForJob } from '../support/http';
import { parsePrometheusText, sumOf } from '../support/prometheus-text';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';

let llm: FakeLlm;
let sentry: FakeSentry;
let stack: Stack;
let user: TestUser;
let projectId: string;
let okJob: string;
let failedJob: string;

async function scrape(url: string, token?: string) {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : undefined);
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text());
}

async function eventually<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    v = await fn();
  }
  return v;
}

beforeAll(async () => {
  llm = await startFakeLlm();
  sentry = await startFakeSentry();
  stack = await startStack('obs', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_MODEL: 'gpt-5-mini',
    SENTRY_DSN: sentry.dsn,
    SENTRY_TRACES_SAMPLE_RATE: '0',
    METRICS_TOKEN: 'metrics-token-for-tests',
  });
  user = await registerUser(stack.apiUrl, 'obs');
  projectId = await createProject(stack.apiUrl, user.token);

  // A miss, then a hit of the same request, then a generation the model answers with garbage.
  const description = `An observable app ${Date.now()}`;
  const miss = await generate(stack.apiUrl, user.token, projectId, { description, framework: 'svelte' });
  okJob = miss.body.job_id;
  await waitForJob(stack.apiUrl, user.token, okJob);
  const hit = await generate(stack.apiUrl, user.token, projectId, { description, framework: 'svelte' });
  expect(hit.status).toBe(200);
  llm.setBehavior({ kind: 'raw', content: 'no files for you' });
  const bad = await generate(stack.apiUrl, user.token, projectId, {
    description: `${description} that fails`,
    framework: 'svelte',
  });
  failedJob = bad.body.job_id;
  expect((await waitForJob(stack.apiUrl, user.token, failedJob)).status).toBe('failed');
  llm.setBehavior({ kind: 'ok' });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
  await sentry?.close();
});

describe('metrics', () => {
  it('protects /api/metrics with METRICS_TOKEN', async () => {
    await request(stack.apiUrl).get('/api/metrics').expect(401);
    await request(stack.apiUrl).get('/api/metrics').set('Authorization', 'Bearer wrong').expect(401);
  });

  it('counts hits and misses in the API, by route template and status class, with bounded labels', async () => {
    const api = await scrape(`${stack.apiUrl}/api/metrics`, 'metrics-token-for-tests');
    expect(sumOf(api, 'vectort_cache_requests_total', { result: 'hit' })).toBe(1);
    expect(sumOf(api, 'vectort_cache_requests_total', { result: 'miss' })).toBe(2);
    expect(
      sumOf(api, 'vectort_http_request_duration_seconds_count', {
        route: '/api/projects/:id/generate',
        status_class: '2xx',
      }),
    ).toBe(3);
    expect(sumOf(api, 'vectort_queue_jobs', { queue: 'generate' })).toBeGreaterThanOrEqual(0);
    expect(api.some((s) => s.name === 'vectort_queue_jobs')).toBe(true);
    const routes = new Set(api.filter((s) => s.labels.route).map((s) => s.labels.route));
    for (const route of routes) expect(route).not.toMatch(/[0-9a-f]{24}/);
    for (const s of api) expect(Object.values(s.labels).join(' ')).not.toContain(user.id);
  });

  it('counts completed and failed generations, cost, tokens and credits in the worker', async () => {
    const workerPort = stack.workers[0]!.env.WORKER_METRICS_PORT;
    const worker = await eventually(
      () => scrape(`http://127.0.0.1:${workerPort}/metrics`),
      (s) => sumOf(s, 'vectort_generations_total', { status: 'failed' }) === 1,
    );
    expect(
      sumOf(worker, 'vectort_generations_total', { status: 'completed', model: 'gpt-5-mini', framework: 'svelte' }),
    ).toBe(1);
    expect(sumOf(worker, 'vectort_generations_total', { status: 'failed', framework: 'svelte' })).toBe(1);
    expect(sumOf(worker, 'vectort_generation_duration_seconds_count', { model: 'gpt-5-mini' })).toBe(1);
    expect(sumOf(worker, 'vectort_llm_cost_usd_total', { provider: 'openai', model: 'gpt-5-mini' })).toBeGreaterThan(0);
    expect(sumOf(worker, 'vectort_llm_tokens_total', { kind: 'prompt' })).toBeGreaterThan(0);
    expect(sumOf(worker, 'vectort_credits_consumed_total', { plan: 'free' })).toBe(1);
    expect(sumOf(worker, 'process_resident_memory_bytes', { service: 'worker' })).toBeGreaterThan(0);
  });
});

describe('logs', () => {
  it('writes JSON lines only, with one access line per request', async () => {
    const api = await eventually(
      () => stack.api.entries(),
      (lines) => lines.filter((e) => e.route === '/api/projects/:id/generate').length >= 3,
    );
    const access = api.filter((e) => e.message === 'request');
    expect(access.length).toBeGreaterThan(3);
    for (const line of access) {
      expect(line).toMatchObject({
        service: 'api',
        level: 'info',
        request_id: expect.any(String),
        method: expect.any(String),
        route: expect.any(String),
        status: expect.any(Number),
        duration_ms: expect.any(Number),
        timestamp: expect.any(String),
      });
    }
    expect(
      access.filter((e) => e.route === '/api/projects/:id/generate' && e.user_id === user.id).map((e) => e.cache),
    ).toEqual(['MISS', 'HIT', 'MISS']);
  });

  it("writes the seed's generation events with user, project and job ids", async () => {
    // stdout reaches us asynchronously: wait for the failure's line.
    const worker = await eventually(
      () => stack.workers[0]!.entries(),
      (lines) => lines.some((e) => e.message === 'generation_failed'),
    );
    const started = worker.find((e) => e.message === 'generation_started' && e.job_id === okJob);
    const completed = worker.find((e) => e.message === 'generation_completed' && e.job_id === okJob);
    const failed = worker.find((e) => e.message === 'generation_failed' && e.job_id === failedJob);
    for (const e of [started, completed, failed])
      expect(e).toMatchObject({ service: 'worker', user_id: user.id, project_id: projectId });
    expect(completed).toMatchObject({
      duration_seconds: expect.any(Number),
      code_length: expect.any(Number),
      cost_usd: expect.any(Number),
      model: 'gpt-5-mini',
      cache: 'miss',
    });
    expect(completed!.cost_usd).toBeGreaterThan(0);
    expect(failed).toMatchObject({ error: 'invalid_llm_output', provider: 'openai' });
  });

  it('never writes a token or password', async () => {
    const all = [...stack.api.lines, ...stack.workers[0]!.lines].join('\n');
    expect(all).not.toContain(user.token);
    expect(all).not.toContain(user.password);
    expect(all).not.toContain('metrics-token-for-tests');
  });
});

describe('Sentry', () => {
  it('receives the failed generation with the user and project, and nothing for a 404', async () => {
    await request(stack.apiUrl)
      .get('/api/projects/0123456789abcdef01234567')
      .set('Authorization', `Bearer ${user.token}`)
      .expect(404);
    const events = await eventually(
      () => sentry.errorEvents(),
      (e) => e.some((x) => x.tags?.job_id === failedJob),
    );
    const event = events.find((x) => x.tags?.job_id === failedJob);
    expect(event.user).toMatchObject({ id: user.id });
    expect(event.tags).toMatchObject({ project_id: projectId, error_type: 'invalid_llm_output', service: 'worker' });
    expect(event.environment).toBe('test');
    expect(event.release).toMatch(/^vectort@/);
    // Only that one failure was an error: 4xx answers and successes are not.
    expect(events.filter((x) => x.tags?.service === 'api').map((x) => JSON.stringify(x.exception))).toEqual([]);
    expect(events).toHaveLength(1);
  });
});
