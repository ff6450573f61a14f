import request from 'supertest';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { balance, createProject, generate, waitForJob } from '../support/http';
import { PrivateRedis } from '../support/private-redis';
import { startStack, type Stack } from '../support/stack';
import { registerUser } from '../support/users';

// These tests kill workers and restart Redis, so they run on a Redis of their own.
let redis: PrivateRedis;
let llm: FakeLlm;
let stack: Stack;

beforeAll(async () => {
  redis = new PrivateRedis();
  await redis.start();
  llm = await startFakeLlm();
  stack = await startStack(
    'recovery',
    {
      REDIS_URL: redis.url,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: llm.url,
      LLM_TIMEOUT_SECONDS: '20',
      WORKER_LOCK_DURATION_MS: '2000',
      LLM_LEASE_TTL_MS: '2000',
    },
    0,
  );
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
  await redis?.destroy();
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('finishes the job of a SIGKILLed worker on another worker, debiting the credit once', async () => {
  const u = await registerUser(stack.apiUrl, 'kill');
  const projectId = await createProject(stack.apiUrl, u.token);
  const doomed = await stack.startWorker();
  llm.setBehavior({ kind: 'ok', delayMs: 3000 });
  const callsBefore = llm.calls;
  const res = await generate(stack.apiUrl, u.token, projectId, {
    description: `A worker-crash survivor ${Date.now()}`,
  });
  expect(res.status).toBe(202);
  await waitFor(() => llm.calls > callsBefore, 10_000);
  doomed.kill('SIGKILL');
  await doomed.exited;
  llm.setBehavior({ kind: 'ok' });

  await stack.startWorker();
  const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id, 30_000);
  expect(job.status).toBe('completed');
  expect(await balance(stack.apiUrl, u.token)).toBe(19);
  const ledger = await request(stack.apiUrl).get('/api/credits').set('Authorization', `Bearer ${u.token}`);
  expect(ledger.body.ledger.map((e: { reason: string }) => e.reason)).toEqual(['generation', 'signup']);
}, 60_000);

it('lets a waiting job take over the lease of a SIGKILLed holder: both identical jobs complete', async () => {
  const alice = await registerUser(stack.apiUrl, 'lease-a');
  const bob = await registerUser(stack.apiUrl, 'lease-b');
  const [pa, pb] = [await createProject(stack.apiUrl, alice.token), await createProject(stack.apiUrl, bob.token)];
  for (const w of stack.workers) await w.stop();
  const holder = await stack.startWorker({ WORKER_CONCURRENCY: '1' });
  llm.setBehavior({ kind: 'hang' });
  const description = `A lease takeover ${Date.now()}`;
  const callsBefore = llm.calls;
  const first = await generate(stack.apiUrl, alice.token, pa, { description });
  await waitFor(() => llm.calls > callsBefore, 10_000);
  // The second job waits on the holder's lease in another worker.
  await stack.startWorker({ WORKER_CONCURRENCY: '1' });
  const second = await generate(stack.apiUrl, bob.token, pb, { description });
  await new Promise((r) => setTimeout(r, 500));
  expect(llm.calls - callsBefore).toBe(1);

  llm.setBehavior({ kind: 'ok' });
  holder.kill('SIGKILL');
  await holder.exited;

  const [a, b] = await Promise.all([
    waitForJob(stack.apiUrl, alice.token, first.body.job_id, 40_000),
    waitForJob(stack.apiUrl, bob.token, second.body.job_id, 40_000),
  ]);
  expect(a.status).toBe('completed');
  expect(b.status).toBe('completed');
  // The hung call, then the one the waiter made after taking the lease over.
  expect(llm.calls - callsBefore).toBe(2);
  expect((await balance(stack.apiUrl, alice.token)) + (await balance(stack.apiUrl, bob.token))).toBe(39);
}, 90_000);

it('loses no accepted job when Redis restarts before any worker picks it up', async () => {
  for (const w of stack.workers) await w.stop();
  const u = await registerUser(stack.apiUrl, 'restart');
  const projectId = await createProject(stack.apiUrl, u.token);
  const accepted: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await generate(stack.apiUrl, u.token, projectId, {
      description: `Survives a Redis restart ${i} ${Date.now()}`,
    });
    expect(res.status).toBe(202);
    accepted.push(res.body.job_id);
  }
  await redis.stop();
  await redis.start();
  await stack.startWorker();
  for (const id of accepted) {
    const job = await waitForJob(stack.apiUrl, u.token, id, 30_000);
    expect(job.status).toBe('completed');
  }
  expect(await balance(stack.apiUrl, u.token)).toBe(17);
}, 90_000);
