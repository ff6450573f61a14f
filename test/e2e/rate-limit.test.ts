import request from 'supertest';
import { createProject, generate, waitForJob } from '../support/http';
import { AppProcess, freePort, startStack, type Stack } from '../support/stack';
import { registerUser } from '../support/users';

// The real API and worker processes on one Redis; a second API process shares the counts.
let stack: Stack;
let secondApi: AppProcess;
let secondUrl: string;

beforeAll(async () => {
  stack = await startStack('ratelimit', { LLM_PROVIDER: 'offline' });
  const port = await freePort();
  secondApi = new AppProcess('api', { ...stack.env, PORT: String(port) });
  secondUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (
    !(await fetch(`${secondUrl}/readyz`)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`second API not ready: ${secondApi.stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  await secondApi?.stop();
  await stack?.stop();
});

it('lets a free user make 10 distinct generate requests in a minute, answers 429 to the 11th, and still serves a cache hit', async () => {
  const u = await registerUser(stack.apiUrl, 'seed');
  const projectId = await createProject(stack.apiUrl, u.token);
  const first = await generate(stack.apiUrl, u.token, projectId, { description: 'Seed rate limit app number 0' });
  expect(first.status).toBe(202);
  const job = await waitForJob(stack.apiUrl, u.token, first.body.job_id);
  expect(job.status).toBe('completed');

  for (let i = 1; i < 10; i++) {
    const res = await generate(stack.apiUrl, u.token, projectId, { description: `Seed rate limit app number ${i}` });
    expect(res.status).toBe(202);
    expect(res.headers['x-cache']).toBe('MISS');
  }
  const refused = await generate(stack.apiUrl, u.token, projectId, { description: 'Seed rate limit app number 10' });
  expect(refused.status).toBe(429);
  expect(refused.body.error.code).toBe('rate_limited');
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(refused.headers.ratelimit).toMatch(/^"generate"; r=0; t=\d+$/);
  expect(refused.headers['ratelimit-policy']).toMatch(/^"generate"; q=10; w=60\b/);

  // Hits run before the limiter: served, free, and not counted, however many.
  for (const description of ['Seed rate limit app number 0', '  seed RATE limit   app number 0 ']) {
    const hit = await generate(stack.apiUrl, u.token, projectId, { description });
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toMatchObject({ status: 'completed', cached: true, generation: { id: job.result.generation.id } });
    expect(hit.headers.ratelimit).toBeUndefined();
  }

  const metrics = await request(stack.apiUrl).get('/api/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.text).toMatch(/^vectort_rate_limited_total\{(?=[^}]*route="generate")(?=[^}]*plan="free")[^}]*\} 1$/m);
}, 60_000);

it('shares the count between two API processes on one Redis: 6 + 5 requests, the 11th is 429', async () => {
  const u = await registerUser(stack.apiUrl, 'twoapis');
  const projectId = await createProject(stack.apiUrl, u.token);
  const onFirst: number[] = [];
  for (let i = 0; i < 6; i++)
    onFirst.push((await generate(stack.apiUrl, u.token, projectId, { description: `Shared count app ${i}` })).status);
  const onSecond: number[] = [];
  for (let i = 6; i < 11; i++)
    onSecond.push((await generate(secondUrl, u.token, projectId, { description: `Shared count app ${i}` })).status);
  expect(onFirst).toEqual(Array(6).fill(202));
  expect(onSecond).toEqual([202, 202, 202, 202, 429]);
  // And the first process agrees.
  expect((await generate(stack.apiUrl, u.token, projectId, { description: 'Shared count app 11' })).status).toBe(429);
  // Each process counts its own 429s.
  const second = await request(secondUrl).get('/api/metrics');
  expect(second.text).toMatch(/^vectort_rate_limited_total\{(?=[^}]*route="generate")(?=[^}]*plan="free")[^}]*\} 1$/m);
}, 60_000);

it('limits a free user to 10 ZIP exports a minute, on the export limiter of its own', async () => {
  const u = await registerUser(stack.apiUrl, 'exporter');
  const projectId = await createProject(stack.apiUrl, u.token);
  const first = await generate(stack.apiUrl, u.token, projectId, { description: 'An app to export many times' });
  expect((await waitForJob(stack.apiUrl, u.token, first.body.job_id)).status).toBe('completed');

  const exportZip = () =>
    request(stack.apiUrl)
      .post(`/api/projects/${projectId}/export/zip`)
      .set('Authorization', `Bearer ${u.token}`)
      .send({});
  for (let i = 0; i < 10; i++) {
    const res = await exportZip();
    expect(res.status).toBe(202);
    expect(res.headers['ratelimit-policy']).toMatch(/^"export"; q=10; w=60\b/);
  }
  const refused = await exportZip();
  expect(refused.status).toBe(429);
  expect(refused.body.error.code).toBe('rate_limited');
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(refused.headers.ratelimit).toMatch(/^"export"; r=0; t=\d+$/);
  // The generate count is separate: one used, nine left.
  const next = await generate(stack.apiUrl, u.token, projectId, { description: 'Still room to generate' });
  expect(next.status).toBe(202);
  expect(next.headers.ratelimit).toMatch(/^"generate"; r=8; t=\d+$/);
  const metrics = await request(stack.apiUrl).get('/api/metrics');
  expect(metrics.text).toMatch(/^vectort_rate_limited_total\{(?=[^}]*route="export")(?=[^}]*plan="free")[^}]*\} 1$/m);
}, 60_000);
