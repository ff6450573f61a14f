import request from 'supertest';
import { ADMIN_CLI, runNode } from '../support/admin';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { balance, createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';

let llm: FakeLlm;
let stack: Stack;

beforeAll(async () => {
  llm = await startFakeLlm();
  stack = await startStack('gen', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_MODEL: 'gpt-5-mini',
    LLM_TIMEOUT_SECONDS: '10',
    WORKER_LOCK_DURATION_MS: '2000',
    LLM_LEASE_TTL_MS: '2000',
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
});

let counter = 0;
const unique = (label: string) => `${label} number ${++counter} built at ${Date.now()}`;

async function user(): Promise<TestUser & { projectId: string }> {
  const u = await registerUser(stack.apiUrl, 'gen');
  return { ...u, projectId: await createProject(stack.apiUrl, u.token) };
}

describe('submit and poll', () => {
  it('turns a miss into a job, then answers the same request (and a case/space variant) from the cache', async () => {
    const u = await user();
    const description = unique('A todo app with tags');
    const callsBefore = llm.calls;
    const t0 = performance.now();
    const miss = await generate(stack.apiUrl, u.token, u.projectId, { description, framework: 'vue', type: 'web_app' });
    expect(miss.status).toBe(202);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.body).toEqual({
      status: 'queued',
      cached: false,
      job_id: expect.any(String),
      status_url: `/api/jobs/${miss.body.job_id}`,
    });
    expect(miss.headers.location).toBe(miss.body.status_url);

    const job = await waitForJob(stack.apiUrl, u.token, miss.body.job_id);
    const missMs = performance.now() - t0;
    expect(job).toMatchObject({
      job_id: miss.body.job_id,
      kind: 'generate',
      status: 'completed',
      progress: 100,
      project_id: u.projectId,
      error: null,
    });
    expect(job.finished_at).toEqual(expect.any(String));
    const generation = job.result.generation;
    expect(generation).toMatchObject({
      project_id: u.projectId,
      description,
      framework: 'vue',
      type: 'web_app',
      cached: false,
      model: 'gpt-5-mini',
      provider: 'openai',
    });
    expect(generation.files.length).toBeGreaterThan(0);
    expect(generation.usage.prompt_tokens).toBeGreaterThan(0);
    expect(generation.cost_usd).toBeGreaterThan(0);
    expect(llm.calls - callsBefore).toBe(1);
    expect(await balance(stack.apiUrl, u.token)).toBe(19);

    const t1 = performance.now();
    const hit = await generate(stack.apiUrl, u.token, u.projectId, { description, framework: 'vue' });
    const hitMs = performance.now() - t1;
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual({ status: 'completed', cached: true, generation });
    // The seed's own check: the same request twice gives the same result, the second at least 2x faster.
    expect(hitMs * 2).toBeLessThan(missMs);

    const variant = await generate(stack.apiUrl, u.token, u.projectId, {
      description: `  ${description.toUpperCase().replace(/ /g, '   ')}\n`,
      framework: 'vue',
    });
    expect(variant.status).toBe(200);
    expect(variant.body.generation.id).toBe(generation.id);
    expect(llm.calls - callsBefore).toBe(1);
    expect(await balance(stack.apiUrl, u.token)).toBe(19);

    const ledger = await request(stack.apiUrl).get('/api/credits').set('Authorization', `Bearer ${u.token}`);
    expect(ledger.body.balance).toBe(19);
    expect(ledger.body.ledger.map((e: { reason: string; delta: number }) => [e.reason, e.delta])).toEqual([
      ['generation', -1],
      ['signup', 20],
    ]);
    expect(ledger.body.ledger[0].job_id).toBe(miss.body.job_id);

    const list = await request(stack.apiUrl)
      .get(`/api/projects/${u.projectId}/generations`)
      .set('Authorization', `Bearer ${u.token}`);
    expect(list.body.items.map((g: { id: string }) => g.id)).toEqual([generation.id]);
    expect(list.body.items[0]).not.toHaveProperty('files');
    const one = await request(stack.apiUrl)
      .get(`/api/generations/${generation.id}`)
      .set('Authorization', `Bearer ${u.token}`);
    expect(one.body).toEqual(generation);
    const project = await request(stack.apiUrl)
      .get(`/api/projects/${u.projectId}`)
      .set('Authorization', `Bearer ${u.token}`);
    expect(project.body.latest_generation_id).toBe(generation.id);
  });

  it("serves a hit from another user's project as a new generation of the requester, revealing nothing of the first", async () => {
    const alice = await user();
    const bob = await user();
    const description = unique('A landing page for a bakery');
    const miss = await generate(stack.apiUrl, alice.token, alice.projectId, {
      description,
      type: 'landing_page',
      framework: 'html',
    });
    const done = await waitForJob(stack.apiUrl, alice.token, miss.body.job_id);
    const aliceGen = done.result.generation;

    const hit = await generate(stack.apiUrl, bob.token, bob.projectId, {
      description,
      type: 'landing_page',
      framework: 'html',
    });
    expect(hit.status).toBe(200);
    const bobGen = hit.body.generation;
    expect(bobGen.id).not.toBe(aliceGen.id);
    expect(bobGen).toMatchObject({ project_id: bob.projectId, cached: true, cost_usd: 0, files: aliceGen.files });
    const text = JSON.stringify(hit.body);
    for (const secret of [alice.id, alice.projectId, aliceGen.id, miss.body.job_id, alice.email])
      expect(text).not.toContain(secret);
    expect(await balance(stack.apiUrl, bob.token)).toBe(20);

    // Bob cannot read Alice's job, generation or project.
    await request(stack.apiUrl)
      .get(`/api/jobs/${miss.body.job_id}`)
      .set('Authorization', `Bearer ${bob.token}`)
      .expect(404);
    await request(stack.apiUrl)
      .get(`/api/generations/${aliceGen.id}`)
      .set('Authorization', `Bearer ${bob.token}`)
      .expect(404);
    await request(stack.apiUrl)
      .get(`/api/projects/${alice.projectId}/generations`)
      .set('Authorization', `Bearer ${bob.token}`)
      .expect(404);
    const again = await generate(stack.apiUrl, bob.token, bob.projectId, {
      description,
      type: 'landing_page',
      framework: 'html',
    });
    expect(again.body.generation.id).toBe(bobGen.id);
  });

  it('makes one LLM call for 20 concurrent identical misses from two users; every job completes in its own project', async () => {
    const alice = await user();
    const bob = await user();
    const description = unique('A kanban board with swimlanes');
    llm.setBehavior({ kind: 'ok', delayMs: 800 });
    const callsBefore = llm.calls;
    try {
      const submits = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const who = i % 2 ? bob : alice;
          return generate(stack.apiUrl, who.token, who.projectId, { description }).then((res) => ({ who, res }));
        }),
      );
      for (const { res } of submits) expect(res.status).toBe(202);
      const jobs = await Promise.all(
        submits.map(({ who, res }) =>
          waitForJob(stack.apiUrl, who.token, res.body.job_id).then((job) => ({ who, job })),
        ),
      );
      expect(llm.calls - callsBefore).toBe(1);
      for (const { who, job } of jobs) {
        expect(job.status).toBe('completed');
        expect(job.project_id).toBe(who.projectId);
        expect(job.result.generation.project_id).toBe(who.projectId);
        const other = who === alice ? bob : alice;
        expect(JSON.stringify(job)).not.toContain(other.projectId);
        expect(JSON.stringify(job)).not.toContain(other.id);
      }
      // One job paid for the call; the 19 others finished as hits and got their credit back.
      expect((await balance(stack.apiUrl, alice.token)) + (await balance(stack.apiUrl, bob.token))).toBe(39);
      // A generation belongs to one project: each project's ten jobs share that project's one generation.
      for (const who of [alice, bob]) {
        const ids = new Set(jobs.filter((j) => j.who === who).map(({ job }) => job.result.generation.id));
        expect(ids.size).toBe(1);
      }
      const cachedFlags = [alice, bob]
        .map((who) => jobs.find((j) => j.who === who)!.job.result.generation.cached)
        .sort();
      expect(cachedFlags).toEqual([false, true]);
    } finally {
      llm.setBehavior({ kind: 'ok' });
    }
  });

  it('regenerates on force_regenerate and replaces the cache entry', async () => {
    const u = await user();
    const description = unique('A weather dashboard');
    const first = await generate(stack.apiUrl, u.token, u.projectId, { description });
    const firstGen = (await waitForJob(stack.apiUrl, u.token, first.body.job_id)).result.generation;
    const callsBefore = llm.calls;
    const forced = await generate(stack.apiUrl, u.token, u.projectId, { description, force_regenerate: true });
    expect(forced.status).toBe(202);
    const forcedGen = (await waitForJob(stack.apiUrl, u.token, forced.body.job_id)).result.generation;
    expect(llm.calls - callsBefore).toBe(1);
    expect(forcedGen.id).not.toBe(firstGen.id);
    const hit = await generate(stack.apiUrl, u.token, u.projectId, { description });
    expect(hit.status).toBe(200);
    expect(hit.body.generation.id).toBe(forcedGen.id);
    expect(await balance(stack.apiUrl, u.token)).toBe(18);
  });
});

describe('idempotency keys', () => {
  it('replays the first response for the same key and body, 422 for another body, and never makes two jobs', async () => {
    const u = await user();
    const body = { description: unique('An invoicing API'), framework: 'express', type: 'api' };
    const headers = { 'Idempotency-Key': `key-${counter}` };
    const results = await Promise.all(
      Array.from({ length: 4 }, () => generate(stack.apiUrl, u.token, u.projectId, body, headers)),
    );
    const accepted = results.filter((r) => r.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    for (const r of results) expect([202, 409]).toContain(r.status);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('conflict');
    expect(new Set(accepted.map((r) => r.body.job_id)).size).toBe(1);

    const replay = await generate(stack.apiUrl, u.token, u.projectId, body, headers);
    expect(replay.status).toBe(202);
    expect(replay.body.job_id).toBe(accepted[0]!.body.job_id);
    expect(replay.headers.location).toBe(accepted[0]!.headers.location);

    const other = await generate(
      stack.apiUrl,
      u.token,
      u.projectId,
      { ...body, description: 'something else' },
      headers,
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const jobs = await stack.mongo
      .db()
      .collection('jobs')
      .countDocuments({ project_id: { $exists: true }, 'payload.description': body.description });
    expect(jobs).toBe(1);
    expect(await balance(stack.apiUrl, u.token)).toBe(19);
  });

  it('rejects an over-long key with 400', async () => {
    const u = await user();
    const res = await generate(
      stack.apiUrl,
      u.token,
      u.projectId,
      { description: 'x' },
      { 'Idempotency-Key': 'k'.repeat(256) },
    );
    expect(res.status).toBe(400);
  });
});

describe('credits and failures', () => {
  it('answers 402 when the user has no credits, and enqueues nothing', async () => {
    const u = await user();
    const admin = await request(stack.apiUrl)
      .post('/api/auth/register')
      .send({ email: `admin@example.com`, password: 'password-admin' });
    const adminToken =
      admin.status === 201
        ? admin.body.token
        : (
            await request(stack.apiUrl)
              .post('/api/auth/login')
              .send({ email: 'admin@example.com', password: 'password-admin' })
          ).body.token;
    expect((await runNode([ADMIN_CLI, 'grant', 'admin@example.com'], stack.env)).code).toBe(0);
    await request(stack.apiUrl)
      .patch(`/api/admin/users/${u.id}`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ credits: 0 })
      .expect(200);
    const callsBefore = llm.calls;
    const res = await generate(stack.apiUrl, u.token, u.projectId, { description: unique('A chess clock') });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('insufficient_credits');
    expect(await stack.mongo.db().collection('jobs').countDocuments({ 'payload.user_id': u.id })).toBe(0);
    expect(llm.calls).toBe(callsBefore);
  });

  it('fails the job as invalid_llm_output for unparseable output and refunds the credit', async () => {
    const u = await user();
    llm.setBehavior({ kind: 'raw', content: 'Sure! Here is your app, I hope you like it.' });
    try {
      const res = await generate(stack.apiUrl, u.token, u.projectId, { description: unique('A recipe box') });
      const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id);
      expect(job.status).toBe('failed');
      expect(job.error).toEqual({ code: 'invalid_llm_output', message: expect.any(String) });
      expect(job.result).toBeNull();
    } finally {
      llm.setBehavior({ kind: 'ok' });
    }
    expect(await balance(stack.apiUrl, u.token)).toBe(20);
  });

  it('never writes a ../ path: the job fails as invalid_llm_output', async () => {
    const u = await user();
    llm.setBehavior({
      kind: 'raw',
      content: JSON.stringify({ files: [{ path: '../../etc/cron.d/evil', content: 'x' }] }),
    });
    try {
      const res = await generate(stack.apiUrl, u.token, u.projectId, { description: unique('A path escape') });
      const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id);
      expect(job.status).toBe('failed');
      expect(job.error.code).toBe('invalid_llm_output');
    } finally {
      llm.setBehavior({ kind: 'ok' });
    }
    expect(await stack.mongo.db().collection('generations').countDocuments({ 'files.path': /\.\./ })).toBe(0);
    expect(await balance(stack.apiUrl, u.token)).toBe(20);
  });

  it('fails as llm_error after retries when the model keeps answering 500, and refunds exactly once', async () => {
    const u = await user();
    llm.setBehavior({ kind: 'status', status: 500 });
    const callsBefore = llm.calls;
    try {
      const res = await generate(stack.apiUrl, u.token, u.projectId, { description: unique('A flaky upstream') });
      const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id, 60_000);
      expect(job.status).toBe('failed');
      expect(job.error.code).toBe('llm_error');
      expect(llm.calls - callsBefore).toBeGreaterThan(1);
    } finally {
      llm.setBehavior({ kind: 'ok' });
    }
    expect(await balance(stack.apiUrl, u.token)).toBe(20);
    const ledger = await request(stack.apiUrl).get('/api/credits').set('Authorization', `Bearer ${u.token}`);
    expect(ledger.body.ledger.map((e: { reason: string }) => e.reason)).toEqual([
      'generation_refund',
      'generation',
      'signup',
    ]);
  }, 90_000);
});
