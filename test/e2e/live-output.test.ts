import request from 'supertest';
import { startWebhookReceiver, type WebhookReceiver } from '../../apps/worker/test/webhooks/webhook-receiver';
import { defaultProjectJson, startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { balance, createProject, generate, waitForJob } from '../support/http';
import { filesFromEvents, openEventStream, type SseEvent } from '../support/sse-client';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';
import { until } from '../support/until';

let llm: FakeLlm;
let stack: Stack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  llm = await startFakeLlm();
  receiver = await startWebhookReceiver();
  stack = await startStack('live', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_TIMEOUT_SECONDS: '30',
    WORKER_CONCURRENCY: '2',
    WORKER_LOCK_DURATION_MS: '2000',
    LLM_LEASE_TTL_MS: '2000',
    MAX_STREAMS_PER_USER: '3',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_BASE_MS: '200',
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
  await receiver?.close();
});
afterEach(() => llm.reset());

let counter = 0;
const unique = (label: string) => `${label} number ${++counter} at ${Date.now()}`;

async function user(): Promise<TestUser & { projectId: string }> {
  const u = await registerUser(stack.apiUrl, 'live');
  return { ...u, projectId: await createProject(stack.apiUrl, u.token) };
}

const eventsUrl = (jobId: string) => `${stack.apiUrl}/api/jobs/${jobId}/events`;
const statusEvents = (events: SseEvent[]) => events.filter((e) => e.event === 'message').map((e) => e.data);
const cancel = (token: string, jobId: string) =>
  request(stack.apiUrl).post(`/api/jobs/${jobId}/cancel`).set('Authorization', `Bearer ${token}`);

describe('live output', () => {
  it('streams file events before the job completes; their concatenation is the files the model wrote', async () => {
    const u = await user();
    llm.setBehavior({ kind: 'ok', chunkChars: 30, chunkDelayMs: 120 });
    const description = unique('A streamed todo app');
    const res = await generate(stack.apiUrl, u.token, u.projectId, { description, framework: 'html' });
    const stream = await openEventStream(eventsUrl(res.body.job_id), u.token);
    expect(stream.status).toBe(200);
    await stream.ended;
    const events = stream.events;
    const firstFile = events.findIndex((e) => e.event === 'file');
    const completedAt = events.findIndex((e) => e.event === 'message' && e.data.status === 'completed');
    expect(firstFile).toBeGreaterThan(-1);
    expect(firstFile).toBeLessThan(completedAt);
    expect(events.every((e) => typeof e.id === 'string' && /^\d+-\d+$/.test(e.id))).toBe(true);
    // Progress grows in steps while the model writes, not in one jump from 10 to 100.
    const progress = statusEvents(events)
      .filter((s) => s.status === 'active')
      .map((s) => s.progress);
    expect(new Set(progress).size).toBeGreaterThanOrEqual(3);

    const written = JSON.parse(defaultProjectJson({ messages: [{ role: 'user', content: description }] })) as {
      files: { path: string; content: string }[];
    };
    const streamed = filesFromEvents(events);
    expect([...streamed.keys()]).toEqual(written.files.map((f) => f.path));
    for (const f of written.files) expect(streamed.get(f.path)).toEqual({ text: f.content, done: true });
    const job = events[completedAt]!.data;
    expect(job.result.generation.files).toEqual(written.files);
  });

  it('resumes with Last-Event-ID: the current status, replace events of the files so far, then live events', async () => {
    const u = await user();
    llm.setBehavior({ kind: 'ok', chunkChars: 25, chunkDelayMs: 200 });
    const description = unique('A resumable kanban');
    const res = await generate(stack.apiUrl, u.token, u.projectId, { description, framework: 'html' });
    const first = await openEventStream(eventsUrl(res.body.job_id), u.token);
    await first.until((evs) => evs.filter((e) => e.event === 'file').length >= 2);
    first.close();
    const lastId = first.events[first.events.length - 1]!.id!;
    await new Promise((r) => setTimeout(r, 500));

    const again = await openEventStream(eventsUrl(res.body.job_id), u.token, lastId);
    await again.ended;
    const [status, ...rest] = again.events;
    expect(status!.event).toBe('message');
    expect(status!.data.status).toBe('active');
    const replays = rest.filter((e) => e.data.replace === true);
    expect(replays.length).toBeGreaterThan(0);
    // The replay comes first, then live deltas.
    const firstLive = rest.findIndex((e) => e.event === 'file' && !e.data.replace);
    expect(firstLive).toBeGreaterThan(rest.findIndex((e) => e.data.replace === true));
    const written = JSON.parse(defaultProjectJson({ messages: [{ role: 'user', content: description }] })) as {
      files: { path: string; content: string }[];
    };
    const streamed = filesFromEvents(again.events);
    for (const f of written.files) expect(streamed.get(f.path)?.text).toBe(f.content);
    expect(statusEvents(again.events).at(-1).status).toBe('completed');
  });

  it('answers 429 beyond MAX_STREAMS_PER_USER open streams and long-polls, and frees a slot on close', async () => {
    const u = await user();
    llm.setBehavior({ kind: 'ok', delayMs: 4000 });
    const res = await generate(stack.apiUrl, u.token, u.projectId, { description: unique('A slow one') });
    const streams = await Promise.all([1, 2].map(() => openEventStream(eventsUrl(res.body.job_id), u.token)));
    const poll = request(stack.apiUrl)
      .get(`/api/jobs/${res.body.job_id}?wait=3`)
      .set('Authorization', `Bearer ${u.token}`);
    const pollDone = poll.then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    const over = await openEventStream(eventsUrl(res.body.job_id), u.token);
    expect(over.status).toBe(429);
    const overPoll = await request(stack.apiUrl)
      .get(`/api/jobs/${res.body.job_id}?wait=1`)
      .set('Authorization', `Bearer ${u.token}`);
    expect(overPoll.status).toBe(429);
    expect(overPoll.body.error.code).toBe('rate_limited');
    // A plain poll is not a long-poll: never limited.
    await request(stack.apiUrl)
      .get(`/api/jobs/${res.body.job_id}`)
      .set('Authorization', `Bearer ${u.token}`)
      .expect(200);
    streams[0]!.close();
    await until('a slot to free', async () => {
      const s = await openEventStream(eventsUrl(res.body.job_id), u.token);
      s.close();
      return s.status === 200;
    });
    streams[1]!.close();
    expect((await pollDone).status).toBe(200);
    await waitForJob(stack.apiUrl, u.token, res.body.job_id);
  });
});

describe('cancel', () => {
  it('cancels a queued job at once and an active one within 2 s (the model request aborted), one refund each, webhooks', async () => {
    const u = await user();
    const other = await user();
    llm.setBehavior({ kind: 'ok', chunkChars: 20, chunkDelayMs: 300 });
    const hook = (name: string) => ({ webhook_url: `${receiver.url}/${name}-${counter}` });
    const blockers = [];
    for (const name of ['one', 'two']) {
      const r = await generate(stack.apiUrl, u.token, u.projectId, {
        description: unique(`Blocker ${name}`),
        ...hook(name),
      });
      blockers.push(r.body.job_id as string);
    }
    await until('both blockers calling the model', () => llm.calls >= 2);
    const queued = await generate(stack.apiUrl, u.token, u.projectId, {
      description: unique('Queued'),
      ...hook('queued'),
    });
    expect(queued.status).toBe(202);
    expect(await balance(stack.apiUrl, u.token)).toBe(17);

    await cancel(other.token, queued.body.job_id).expect(404);
    const t0 = Date.now();
    const c1 = await cancel(u.token, queued.body.job_id);
    expect(c1.status).toBe(200);
    expect(c1.body).toMatchObject({ job_id: queued.body.job_id, status: 'cancelled', result: null });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await balance(stack.apiUrl, u.token)).toBe(18);

    const stream = await openEventStream(eventsUrl(blockers[0]!), u.token);
    await stream.until((evs) => evs.some((e) => e.event === 'file'));
    const abortedBefore = llm.aborted;
    const c2 = await cancel(u.token, blockers[0]!);
    expect(c2.status).toBe(200);
    expect(c2.body.status).toBe('cancelled');
    const t1 = Date.now();
    await until('the model request to be aborted', () => llm.aborted > abortedBefore, 5000);
    expect(Date.now() - t1).toBeLessThan(2000);
    await stream.ended;
    expect(statusEvents(stream.events).at(-1).status).toBe('cancelled');

    // Cancelling again, or a job that ended: 409. The poll reads cancelled.
    const again = await cancel(u.token, blockers[0]!);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const polled = await request(stack.apiUrl)
      .get(`/api/jobs/${queued.body.job_id}`)
      .set('Authorization', `Bearer ${u.token}`);
    expect(polled.body.status).toBe('cancelled');
    const done = await waitForJob(stack.apiUrl, u.token, blockers[1]!, 30_000);
    expect(done.status).toBe('completed');
    await cancel(u.token, blockers[1]!).expect(409);

    // One refund per cancelled job, none for the completed one: 20 - 3 + 2.
    expect(await balance(stack.apiUrl, u.token)).toBe(19);
    const ledger = await request(stack.apiUrl).get('/api/credits').set('Authorization', `Bearer ${u.token}`);
    const refunds = ledger.body.ledger.filter((e: { reason: string }) => e.reason === 'generation_refund');
    expect(refunds.map((e: { job_id: string }) => e.job_id).sort()).toEqual([queued.body.job_id, blockers[0]].sort());

    await receiver.waitFor(3, 15_000);
    const types = receiver.requests.map((r) => [r.path.split('-')[0], JSON.parse(r.body).type]);
    expect(types).toEqual(
      expect.arrayContaining([
        ['/queued', 'generation.cancelled'],
        ['/one', 'generation.cancelled'],
        ['/two', 'generation.completed'],
      ]),
    );
    const lines = stack.api.entries().filter((e) => e.message === 'generation_cancelled');
    expect(lines.map((e) => e.job_id).sort()).toEqual([queued.body.job_id, blockers[0]].sort());
    const metrics = await request(stack.apiUrl).get('/api/metrics');
    expect(metrics.text).toMatch(/vectort_generations_total\{[^}]*status="cancelled"[^}]*\} 2/);
  }, 60_000);

  it('cancelling the holder of a single-flight call goes on for its waiter: the waiter completes, one model call', async () => {
    const alice = await user();
    const bob = await user();
    llm.setBehavior({ kind: 'ok', chunkChars: 30, chunkDelayMs: 250 });
    const description = unique('A shared single flight');
    const callsBefore = llm.calls;
    const holder = await generate(stack.apiUrl, alice.token, alice.projectId, { description });
    await until('the holder calling the model', () => llm.calls > callsBefore);
    const waiter = await generate(stack.apiUrl, bob.token, bob.projectId, { description });
    await new Promise((r) => setTimeout(r, 1500));
    const c = await cancel(alice.token, holder.body.job_id);
    expect(c.body.status).toBe('cancelled');
    const done = await waitForJob(stack.apiUrl, bob.token, waiter.body.job_id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.result.generation.cached).toBe(true);
    expect(llm.calls - callsBefore).toBe(1);
    expect(llm.aborted).toBe(0);
    expect(await balance(stack.apiUrl, alice.token)).toBe(20);
    expect(await balance(stack.apiUrl, bob.token)).toBe(20);
  }, 60_000);
});

describe('a worker killed mid-stream', () => {
  it('hands the job to another worker; the event stream goes on with a replace replay; credits settled once', async () => {
    const u = await user();
    const second = await stack.startWorker();
    llm.setBehavior({ kind: 'ok', chunkChars: 20, chunkDelayMs: 250 });
    const description = unique('A job that survives a crash');
    const res = await generate(stack.apiUrl, u.token, u.projectId, { description, framework: 'html' });
    const jobId = res.body.job_id as string;
    const stream = await openEventStream(eventsUrl(jobId), u.token);
    await stream.until((evs) => evs.some((e) => e.event === 'file'));
    const runner = stack.workers.find((w) =>
      w.entries().some((e) => e.message === 'generation_started' && e.job_id === jobId),
    )!;
    expect(runner).toBeDefined();
    runner.kill('SIGKILL');
    const seenBeforeKill = stream.events.length;
    await stream.ended;
    const after = stream.events.slice(seenBeforeKill);
    expect(after.some((e) => e.event === 'file' && e.data.replace === true)).toBe(true);
    const written = JSON.parse(defaultProjectJson({ messages: [{ role: 'user', content: description }] })) as {
      files: { path: string; content: string }[];
    };
    const streamed = filesFromEvents(stream.events);
    for (const f of written.files) expect(streamed.get(f.path)?.text).toBe(f.content);
    expect(statusEvents(stream.events).at(-1).status).toBe('completed');
    expect(await balance(stack.apiUrl, u.token)).toBe(19);
    const ledger = await request(stack.apiUrl).get('/api/credits').set('Authorization', `Bearer ${u.token}`);
    expect(ledger.body.ledger.map((e: { reason: string }) => e.reason)).toEqual(['generation', 'signup']);
    expect(second).toBeDefined();
  }, 90_000);
});
