import request from 'supertest';
import { startWebhookReceiver, type WebhookReceiver } from '../../apps/worker/test/webhooks/webhook-receiver';
import { startFakeLlm, userMessageText, type ChatRequestBody, type FakeLlm } from '../support/fake-llm-server';
import { balance, createProject, generate, waitForJob } from '../support/http';
import { filesFromEvents, openEventStream, type SseEvent } from '../support/sse-client';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';
import { until } from '../support/until';

// Edits run through the same shared job steps as generations (generation-job.ts): these tests
// prove they get live `file` events, cancel and the plan's limit on misses.

type File = { path: string; content: string };

let llm: FakeLlm;
let stack: Stack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  llm = await startFakeLlm();
  receiver = await startWebhookReceiver();
  stack = await startStack('edits-live', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_TIMEOUT_SECONDS: '30',
    WORKER_CONCURRENCY: '2',
    WORKER_LOCK_DURATION_MS: '2000',
    LLM_LEASE_TTL_MS: '2000',
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
  const u = await registerUser(stack.apiUrl, 'edlive');
  return { ...u, projectId: await createProject(stack.apiUrl, u.token) };
}

const eventsUrl = (jobId: string) => `${stack.apiUrl}/api/jobs/${jobId}/events`;
const statusEvents = (events: SseEvent[]) => events.filter((e) => e.event === 'message').map((e) => e.data);
const cancel = (token: string, jobId: string) =>
  request(stack.apiUrl).post(`/api/jobs/${jobId}/cancel`).set('Authorization', `Bearer ${token}`);
const edit = (token: string, id: string, body: Record<string, unknown>) =>
  request(stack.apiUrl).post(`/api/generations/${id}/edits`).set('Authorization', `Bearer ${token}`).send(body);
const isEdit = (req: ChatRequestBody) => String(req.messages?.[0]?.content ?? '').includes('You change an existing');

/** The fake model's edit answer: app.js gets the instruction appended, and a new style file. */
function editAnswer(req: ChatRequestBody): string {
  const input = JSON.parse(userMessageText(req)) as { files: File[]; instruction: string };
  const app = input.files.find((f) => f.path === 'app.js')?.content ?? '';
  return JSON.stringify({
    files: [
      { path: 'app.js', content: `${app}// ${input.instruction}\n` },
      { path: 'src/style.css', content: `/* ${input.instruction} */\nbody { margin: 0; }\n` },
    ],
    deleted: [],
  });
}

async function generated(u: TestUser & { projectId: string }) {
  const res = await generate(stack.apiUrl, u.token, u.projectId, { description: unique('An app'), framework: 'html' });
  const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id);
  expect(job.status).toBe('completed');
  return job.result.generation as { id: string; files: File[] };
}

describe('edits: live output', () => {
  it('streams file events of the changed files before the edit completes; their text is the stored content', async () => {
    const u = await user();
    const v1 = await generated(u);
    llm.setBehavior({ kind: 'ok', content: editAnswer, chunkChars: 30, chunkDelayMs: 120 });
    const res = await edit(u.token, v1.id, { instruction: 'Add a dark theme' });
    expect(res.status).toBe(202);
    const stream = await openEventStream(eventsUrl(res.body.job_id), u.token);
    expect(stream.status).toBe(200);
    await stream.ended;
    const events = stream.events;
    const firstFile = events.findIndex((e) => e.event === 'file');
    const completedAt = events.findIndex((e) => e.event === 'message' && e.data.status === 'completed');
    expect(firstFile).toBeGreaterThan(-1);
    expect(firstFile).toBeLessThan(completedAt);
    const v2 = events[completedAt]!.data.result.generation;
    expect(v2.changes).toEqual({ added: ['src/style.css'], modified: ['app.js'], deleted: [] });
    const streamed = filesFromEvents(events);
    // Only what the model answered is streamed: the changed files, not the untouched ones.
    expect([...streamed.keys()].sort()).toEqual(['app.js', 'src/style.css']);
    for (const [path, got] of streamed) {
      expect(got).toEqual({ text: v2.files.find((f: File) => f.path === path).content, done: true });
    }
  }, 60_000);
});

describe('edits: cancel', () => {
  it('cancels an active edit (model request aborted within 2 s) and a queued one: cancelled, one refund each, webhook', async () => {
    const u = await user();
    const v1 = await generated(u);
    llm.setBehavior({ kind: 'ok', content: editAnswer, chunkChars: 20, chunkDelayMs: 300 });
    const hook = (name: string) => `${receiver.url}/${name}-${counter}`;
    const active = await edit(u.token, v1.id, { instruction: unique('Slow one'), webhook_url: hook('active') });
    const blocker = await edit(u.token, v1.id, { instruction: unique('Slow two') });
    expect([active.status, blocker.status]).toEqual([202, 202]);
    await until('both edits calling the model', () => llm.requests.filter(isEdit).length >= 2);
    const queued = await edit(u.token, v1.id, { instruction: unique('Queued'), webhook_url: hook('queued') });
    expect(queued.status).toBe(202);
    expect(await balance(stack.apiUrl, u.token)).toBe(16);

    const t0 = Date.now();
    const c1 = await cancel(u.token, queued.body.job_id);
    expect(c1.status).toBe(200);
    expect(c1.body).toMatchObject({ job_id: queued.body.job_id, kind: 'edit', status: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(1500);

    const stream = await openEventStream(eventsUrl(active.body.job_id), u.token);
    await stream.until((evs) => evs.some((e) => e.event === 'file'));
    const abortedBefore = llm.aborted;
    const c2 = await cancel(u.token, active.body.job_id);
    expect(c2.status).toBe(200);
    expect(c2.body).toMatchObject({ kind: 'edit', status: 'cancelled' });
    const t1 = Date.now();
    await until('the model request to be aborted', () => llm.aborted > abortedBefore, 5000);
    expect(Date.now() - t1).toBeLessThan(2000);
    await stream.ended;
    expect(statusEvents(stream.events).at(-1).status).toBe('cancelled');
    for (const id of [queued.body.job_id, active.body.job_id]) {
      const polled = await request(stack.apiUrl).get(`/api/jobs/${id}`).set('Authorization', `Bearer ${u.token}`);
      expect(polled.body.status).toBe('cancelled');
    }
    await cancel(u.token, active.body.job_id).expect(409);
    expect((await waitForJob(stack.apiUrl, u.token, blocker.body.job_id, 30_000)).status).toBe('completed');

    // 20 - generate - 3 edits + 2 refunds; exactly one refund per cancelled job.
    expect(await balance(stack.apiUrl, u.token)).toBe(18);
    const ledger = await request(stack.apiUrl).get('/api/credits').set('Authorization', `Bearer ${u.token}`);
    const refunds = ledger.body.ledger.filter((e: { reason: string }) => e.reason === 'generation_refund');
    expect(refunds.map((e: { job_id: string }) => e.job_id).sort()).toEqual(
      [queued.body.job_id, active.body.job_id].sort(),
    );

    await receiver.waitFor(2, 15_000);
    const hooks = receiver.requests.map((r) => [r.path.split('-')[0], JSON.parse(String(r.body))]);
    for (const [path, id] of [
      ['/active', active.body.job_id],
      ['/queued', queued.body.job_id],
    ]) {
      const body = hooks.find(([p]) => p === path)?.[1];
      expect(body).toMatchObject({
        type: 'generation.cancelled',
        data: { job_id: id, kind: 'edit', status: 'cancelled' },
      });
    }
  }, 90_000);
});

describe('edits: plan limit', () => {
  it('counts edit misses against the free plan’s 10 a minute; an edit hit after the limit still answers 200', async () => {
    const u = await user();
    const v1 = await generated(u); // miss 1
    llm.setBehavior({ kind: 'ok', content: editAnswer });
    const first = await edit(u.token, v1.id, { instruction: 'Add a footer' }); // miss 2
    expect(first.status).toBe(202);
    expect((await waitForJob(stack.apiUrl, u.token, first.body.job_id)).status).toBe('completed');
    for (let i = 3; i <= 10; i++) {
      const miss = await edit(u.token, v1.id, { instruction: unique('Another change') });
      expect(miss.status).toBe(202);
    }
    const over = await edit(u.token, v1.id, { instruction: unique('One too many') });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('rate_limited');
    const hit = await edit(u.token, v1.id, { instruction: 'add a  FOOTER' });
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
  }, 90_000);
});
