import type { Db } from 'mongodb';
import { ObjectId } from 'mongodb';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { createProject, generate } from '../support/http';
import { PrivateFerretDb } from '../support/private-ferretdb';
import { PrivateRedis } from '../support/private-redis';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';

// Issue 16: exactly-once billing under faults. Real API and worker processes on a Redis and a
// FerretDB of this file's own (killed and restarted here without touching the other files), a
// model server taking 1.5 s a call. Faults: a worker SIGKILLed while its jobs are inside the
// model call, Redis SIGKILLed and restarted, FerretDB stopped for 4 s and restarted; new
// submits keep arriving meanwhile. Then every user's credits are checked against the jobs.

const USERS = 10;
const MISSES_PER_USER = 5;
/** Pairs of identical requests from two users at once: one job pays, the other ends as a free hit. */
const SHARED_PAIRS = 5;
const START_CREDITS = 20;
const MODEL_CALL_MS = 1500;

let redis: PrivateRedis;
let mongo: PrivateFerretDb;
let llm: FakeLlm;
let stack: Stack;

beforeAll(async () => {
  redis = new PrivateRedis();
  mongo = new PrivateFerretDb();
  await Promise.all([redis.start(), mongo.start()]);
  llm = await startFakeLlm({ behavior: { kind: 'ok', delayMs: MODEL_CALL_MS } });
  stack = await startStack(
    'billfaults',
    {
      REDIS_URL: redis.url,
      MONGO_URL: mongo.url('billing_faults'),
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: llm.url,
      LLM_TIMEOUT_SECONDS: '20',
      WORKER_CONCURRENCY: '5',
      WORKER_LOCK_DURATION_MS: '2000',
      // A job Redis lost in its SIGKILL is added again within seconds, inside the wait below.
      JOB_REQUEUE_AFTER_MS: '6000',
      LLM_LEASE_TTL_MS: '2000',
      RATE_LIMIT_GENERATE_PER_MINUTE: 'free=1000',
    },
    2,
  );
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
  await redis?.destroy();
  await mongo?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const ready = () => fetch(`${stack.apiUrl}/readyz`).then((r) => r.ok);

interface Account extends TestUser {
  projectId: string;
}

interface JobRow {
  _id: ObjectId;
  user_id: ObjectId;
  status: string;
  result: { generation?: { id: string; cached: boolean } } | null;
}

interface LedgerRow {
  _id: string;
  user_id: ObjectId;
  delta: number;
  reason: string;
  job_id: ObjectId | null;
}

/** The sum of the ledger entries whose job has no record (debits and refunds of failed submits). */
function orphanSum(entries: LedgerRow[], jobs: JobRow[]): number {
  const ids = new Set(jobs.map((j) => j._id.toHexString()));
  return entries.filter((e) => e.job_id && !ids.has(e.job_id.toHexString())).reduce((n, e) => n + e.delta, 0);
}

/** Submits one generation; the job id when accepted (202), null for a 503 while a store is away. */
async function submit(who: Account, description: string, statuses: number[]): Promise<string | null> {
  const res = await generate(stack.apiUrl, who.token, who.projectId, { description });
  statuses.push(res.status);
  return res.status === 202 ? (res.body.job_id as string) : null;
}

it('settles every job exactly once through a worker SIGKILL, a Redis SIGKILL and a FerretDB outage', async () => {
  const accounts: Account[] = [];
  for (let i = 0; i < USERS; i++) {
    const u = await registerUser(stack.apiUrl, `bill${i}`);
    accounts.push({ ...u, projectId: await createProject(stack.apiUrl, u.token) });
  }
  const run = Date.now();
  const statuses: number[] = [];
  const accepted: string[] = [];
  const t0 = Date.now();

  // The first wave: 50 distinct misses and 5 identical pairs, all queued at once.
  const wave = accounts.flatMap((who, u) =>
    Array.from({ length: MISSES_PER_USER }, (_, i) => submit(who, `Billing fault app ${run} u${u} n${i}`, statuses)),
  );
  for (let p = 0; p < SHARED_PAIRS; p++) {
    const description = `Billing fault shared app ${run} pair ${p}`;
    wave.push(submit(accounts[p]!, description, statuses), submit(accounts[p + SHARED_PAIRS]!, description, statuses));
  }
  for (const id of await Promise.all(wave)) if (id) accepted.push(id);

  // More misses keep arriving through the faults (some answered 503 while a store is away).
  let trickling = true;
  const trickle = (async () => {
    for (let n = 0; trickling && n < 12; n++) {
      const who = accounts[n % USERS]!;
      const id = await submit(who, `Billing fault late app ${run} n${n}`, statuses).catch(() => null);
      if (id) accepted.push(id);
      await sleep(400);
    }
  })();

  // Fault 1: SIGKILL the second worker while its jobs are inside the model call.
  await waitFor('model calls in flight', () => llm.calls >= 6, 20_000);
  await sleep(800);
  const doomed = stack.workers[1]!;
  const callsAtKill = llm.calls;
  doomed.kill('SIGKILL');
  await doomed.exited;

  // Fault 2: SIGKILL Redis under load and start it again; a replacement worker joins.
  await sleep(1000);
  await redis.stop('SIGKILL');
  await sleep(300);
  await redis.start();
  await waitFor('readyz after the Redis restart', ready, 20_000);
  await stack.startWorker();

  // Fault 3: stop FerretDB for 4 s, then start it again on the same data.
  await sleep(1000);
  await mongo.stop();
  await sleep(4000);
  await mongo.start();
  await waitFor('readyz after the FerretDB restart', ready, 20_000);
  trickling = false;
  await trickle;

  // Every accepted job ends.
  const db: Db = stack.mongo.db();
  const userIds = accounts.map((a) => new ObjectId(a.id));
  const jobsOf = () =>
    db
      .collection<JobRow>('jobs')
      .find({ user_id: { $in: userIds } })
      .toArray();
  await waitFor(
    'every job ended',
    async () => (await jobsOf()).every((j) => j.status === 'completed' || j.status === 'failed'),
    60_000,
  );
  const jobs = await jobsOf();
  const ledger = await db
    .collection<LedgerRow>('credit_ledger')
    .find({ user_id: { $in: userIds } })
    .toArray();
  const users = await db
    .collection<{ _id: ObjectId; credits: number; applied_ops?: string[] }>('users')
    .find({ _id: { $in: userIds } })
    .toArray();

  expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
  const jobIds = new Set(jobs.map((j) => j._id.toHexString()));
  for (const id of accepted) expect(jobIds.has(id)).toBe(true);

  let misses = 0;
  let hits = 0;
  let failed = 0;
  for (const account of accounts) {
    const own = jobs.filter((j) => j.user_id.toHexString() === account.id);
    const entries = ledger.filter((e) => e.user_id.toHexString() === account.id);
    let completedMisses = 0;
    for (const job of own) {
      const id = job._id.toHexString();
      const debits = entries.filter((e) => e._id === `job:${id}:generation`);
      const refunds = entries.filter((e) => e._id === `job:${id}:generation_refund`);
      const generation = job.result?.generation;
      const isHit = job.status === 'completed' && generation?.cached === true;
      const isMiss = job.status === 'completed' && generation?.cached === false;
      // One debit per job; a refund exactly when the job failed or ended as a free hit.
      expect({ id, status: job.status, debits: debits.map((e) => e.delta) }).toEqual({
        id,
        status: job.status,
        debits: [-1],
      });
      expect({ id, status: job.status, cached: generation?.cached, refunds: refunds.map((e) => e.delta) }).toEqual({
        id,
        status: job.status,
        cached: generation?.cached,
        refunds: job.status === 'failed' || isHit ? [1] : [],
      });
      // A miss is the job's own generation (written under its id), not an earlier attempt's "hit".
      if (isMiss) expect(generation!.id).toBe(id);
      if (isMiss) completedMisses += 1;
      if (isHit) hits += 1;
      if (job.status === 'failed') failed += 1;
    }
    misses += completedMisses;
    const user = users.find((u) => u._id.toHexString() === account.id)!;
    // balance = start − completed misses; the ledger adds up to it (signup grant included); no
    // balance change is left without its ledger entry (an in-flight marker: a marker whose entry
    // exists only waits for the user's next operation to take it away).
    expect({
      user: account.id,
      credits: user.credits,
      ledgerSum: entries.reduce((n, e) => n + e.delta, 0),
      inFlight: (user.applied_ops ?? []).filter((k) => !entries.some((e) => e._id === k)),
      // Credit movements of jobs that do not exist (a failed submit must give its reservation back).
      orphans: orphanSum(entries, own),
    }).toEqual({
      user: account.id,
      credits: START_CREDITS - completedMisses,
      ledgerSum: START_CREDITS - completedMisses,
      inFlight: [],
      orphans: 0,
    });
  }
  expect(misses).toBeGreaterThanOrEqual(50);
  const resumed = stack.workers
    .flatMap((w) => w.entries())
    .filter((e) => e.message === 'generation_completed' && e.resumed === true).length;
  process.stdout.write(
    `billing-faults: ${jobs.length} jobs (${accepted.length} accepted by this test, ` +
      `${statuses.filter((s) => s === 503).length} submits answered 503) for ${USERS} users; ` +
      `${misses} completed misses, ${hits} hits, ${failed} failed, ${resumed} resumed from an earlier ` +
      `attempt's stored output; ${llm.calls} model calls ` +
      `(${callsAtKill} before the worker SIGKILL); faults: worker SIGKILL, Redis SIGKILL+restart, ` +
      `FerretDB stop 4 s+restart; ${ledger.length} ledger entries and ${users.length} balances checked; ` +
      `${Math.round((Date.now() - t0) / 1000)} s\n`,
  );
}, 110_000);
