import request from 'supertest';
import { ObjectId, type Db } from 'mongodb';
import { Collections, createCreditsLedger, type GenerateJobPayload } from '@vectort/shared';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { balance, createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';

// Issue 16, the crash windows one at a time: a job is queued with no worker running, the state a
// killed attempt would have left is written into MongoDB and Redis, then a worker runs the job.
let llm: FakeLlm;
let stack: Stack;
let db: Db;

beforeAll(async () => {
  llm = await startFakeLlm();
  stack = await startStack(
    'resume',
    {
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: llm.url,
      LLM_TIMEOUT_SECONDS: '10',
      WORKER_LOCK_DURATION_MS: '2000',
      LLM_LEASE_TTL_MS: '2000',
    },
    0,
  );
  db = stack.mongo.db();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
});

interface Queued {
  user: TestUser;
  jobId: string;
  payload: GenerateJobPayload;
}

/** A miss accepted while no worker runs: the job waits in the queue. */
async function queuedMiss(label: string, description = `A resumed app ${label} ${Date.now()}`): Promise<Queued> {
  for (const w of stack.workers) await w.stop();
  const user = await registerUser(stack.apiUrl, label);
  const projectId = await createProject(stack.apiUrl, user.token);
  const res = await generate(stack.apiUrl, user.token, projectId, { description });
  expect(res.status).toBe(202);
  const job = await db.collection(Collections.jobs).findOne({ _id: new ObjectId(res.body.job_id as string) });
  return { user, jobId: res.body.job_id, payload: job!.payload as unknown as GenerateJobPayload };
}

/** The first thing every attempt writes: its start, counted in the job's record. */
async function startAttempt(q: Queued): Promise<void> {
  await db.collection(Collections.jobs).updateOne({ _id: new ObjectId(q.jobId) }, { $inc: { attempts_started: 1 } });
}

/** What an attempt killed after storing its generation (and filling the cache) leaves behind. */
async function storeOwnGeneration(q: Queued, fillCache: boolean): Promise<void> {
  await startAttempt(q);
  const p = q.payload;
  const output = {
    files: [{ path: 'index.html', content: '<h1>from the first attempt</h1>\n' }],
    entrypoint: 'index.html',
    instructions: null,
    model: 'gpt-5-mini',
    provider: 'openai',
    usage: { prompt_tokens: 10, completion_tokens: 20 },
    framework: p.framework,
    type: p.type,
    source_generation_id: p.job_id,
  };
  await db.collection(Collections.generations).insertOne({
    _id: new ObjectId(p.job_id),
    user_id: new ObjectId(p.user_id),
    project_id: new ObjectId(p.project_id),
    job_id: new ObjectId(p.job_id),
    cache_key: p.cache_key,
    description: p.description,
    cached: false,
    cost_usd: 0.001,
    duration_seconds: 1.5,
    created_at: new Date(),
    ...output,
  });
  if (fillCache) await stack.redis.set(`${stack.env.REDIS_KEY_PREFIX}:cache:${p.cache_key}`, JSON.stringify(output));
}

/** What a final failure killed after its refund (before the failed mark) leaves behind. */
async function refundEarlier(q: Queued): Promise<void> {
  await startAttempt(q);
  const ledger = createCreditsLedger({ db, redis: stack.redis, keyPrefix: stack.env.REDIS_KEY_PREFIX! });
  const op = {
    userId: new ObjectId(q.payload.user_id),
    key: `job:${q.jobId}:generation_refund`,
    delta: 1,
    reason: 'generation_refund' as const,
    jobId: new ObjectId(q.jobId),
  };
  expect(await ledger.apply(op)).toBe('applied');
}

async function reasons(user: TestUser): Promise<string[]> {
  const res = await request(stack.apiUrl).get('/api/credits').set('Authorization', `Bearer ${user.token}`);
  return res.body.ledger.map((e: { reason: string }) => e.reason);
}

it('settles as a miss (one debit, no refund, no second model call) when its own output is already stored and cached', async () => {
  const q = await queuedMiss('own-cached');
  await storeOwnGeneration(q, true);
  const calls = llm.calls;
  await stack.startWorker();
  const job = await waitForJob(stack.apiUrl, q.user.token, q.jobId);
  expect(job.status).toBe('completed');
  expect(job.result.generation).toMatchObject({ id: q.jobId, cached: false });
  expect(llm.calls).toBe(calls);
  expect(await balance(stack.apiUrl, q.user.token)).toBe(19);
  expect(await reasons(q.user)).toEqual(['generation', 'signup']);
}, 60_000);

it('settles as a miss and fills the cache when its own output is stored but the cache is not', async () => {
  const q = await queuedMiss('own-stored');
  await storeOwnGeneration(q, false);
  const calls = llm.calls;
  await stack.startWorker();
  const job = await waitForJob(stack.apiUrl, q.user.token, q.jobId);
  expect(job.result.generation).toMatchObject({ id: q.jobId, cached: false });
  expect(llm.calls).toBe(calls);
  expect(await balance(stack.apiUrl, q.user.token)).toBe(19);
  expect(await stack.redis.exists(`${stack.env.REDIS_KEY_PREFIX}:cache:${q.payload.cache_key}`)).toBe(1);
}, 60_000);

it('ends failed without a model call when an earlier attempt already refunded it, refunding once', async () => {
  const q = await queuedMiss('refunded');
  await refundEarlier(q);
  const calls = llm.calls;
  await stack.startWorker();
  const job = await waitForJob(stack.apiUrl, q.user.token, q.jobId);
  expect(job.status).toBe('failed');
  expect(llm.calls).toBe(calls);
  expect(await balance(stack.apiUrl, q.user.token)).toBe(20);
  expect(await reasons(q.user)).toEqual(['generation_refund', 'generation', 'signup']);
}, 60_000);

it('ends as a free hit when an earlier attempt refunded it and another job has paid for the output since', async () => {
  const description = `A shared resumed app ${Date.now()}`;
  const q = await queuedMiss('refunded-hit', description);
  await refundEarlier(q);
  // Meanwhile another job made the output (and paid for it).
  await stack.redis.set(
    `${stack.env.REDIS_KEY_PREFIX}:cache:${q.payload.cache_key}`,
    JSON.stringify({
      files: [{ path: 'index.html', content: '<h1>paid by another job</h1>\n' }],
      entrypoint: 'index.html',
      instructions: null,
      model: 'gpt-5-mini',
      provider: 'openai',
      usage: { prompt_tokens: 1, completion_tokens: 1 },
      framework: q.payload.framework,
      type: q.payload.type,
      source_generation_id: new ObjectId().toHexString(),
    }),
  );
  const calls = llm.calls;
  await stack.startWorker();
  const job = await waitForJob(stack.apiUrl, q.user.token, q.jobId);
  expect(job.status).toBe('completed');
  expect(job.result.generation.cached).toBe(true);
  expect(llm.calls).toBe(calls);
  expect(await balance(stack.apiUrl, q.user.token)).toBe(20);
  expect(await reasons(q.user)).toEqual(['generation_refund', 'generation', 'signup']);
}, 60_000);
