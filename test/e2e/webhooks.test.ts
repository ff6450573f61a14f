import request from 'supertest';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import {
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../../apps/worker/test/webhooks/webhook-receiver';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';

// The real API and worker processes; deliveries go to a receiver on 127.0.0.1, which is why
// private networks are allowed here (the refusals are tested with the flag off in
// apps/api/test/webhooks.test.ts and apps/worker/test/webhooks/).
const RETRY_BASE_MS = 100;

let llm: FakeLlm;
let stack: Stack;
let receiver: WebhookReceiver;
let user: TestUser;
let projectId: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  llm = await startFakeLlm();
  stack = await startStack('webhooks', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_TIMEOUT_SECONDS: '10',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
  });
  user = await registerUser(stack.apiUrl, 'hooks');
  projectId = await createProject(stack.apiUrl, user.token, 'hooked');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
  await receiver?.close();
});

const auth = (u: TestUser) => ['Authorization', `Bearer ${u.token}`] as const;
let counter = 0;
const unique = (label: string) => `${label} number ${++counter} at ${Date.now()}`;

async function secretOf(u: TestUser): Promise<string> {
  const res = await request(stack.apiUrl)
    .get('/api/webhooks/secret')
    .set(...auth(u));
  expect(res.status).toBe(200);
  return res.body.secret;
}

const signed = (r: ReceivedWebhook) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

/** Requests the receiver got on `path`, waiting until there are `count`. */
async function receivedOn(path: string, count: number, timeoutMs = 20_000): Promise<ReceivedWebhook[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hits = receiver.requests.filter((r) => r.path === `/${path}`);
    if (hits.length >= count) return hits;
    if (Date.now() > deadline) throw new Error(`${path}: ${hits.length} of ${count} deliveries after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function deliveryOf(u: TestUser, webhookId: string): Promise<Record<string, any>> {
  const res = await request(stack.apiUrl)
    .get('/api/webhooks/deliveries?limit=100')
    .set(...auth(u));
  expect(res.status).toBe(200);
  const found = res.body.items.find((d: { id: string }) => d.id === webhookId);
  if (!found) throw new Error(`delivery ${webhookId} not listed`);
  return found;
}

async function submitWithHook(path: string, description = unique('A webhook demo app')): Promise<string> {
  const res = await generate(stack.apiUrl, user.token, projectId, {
    description,
    webhook_url: `${receiver.url}/${path}`,
  });
  expect(res.status).toBe(202);
  return res.body.job_id;
}

it('sends generation.completed and export.completed, signed so that standardwebhooks verifies them', async () => {
  const secret = await secretOf(user);
  const jobId = await submitWithHook('done');
  const job = await waitForJob(stack.apiUrl, user.token, jobId);
  expect(job.status).toBe('completed');
  const [gen] = await receivedOn('done', 1);

  const event = new Webhook(secret).verify(gen!.body, signed(gen!)) as Record<string, any>;
  expect(event).toEqual({ type: 'generation.completed', timestamp: job.finished_at, data: job });
  expect(gen!.headers['webhook-id']).toBe(`msg_${jobId}_generation_completed`);
  expect(() => new Webhook('whsec_' + Buffer.alloc(32, 7).toString('base64')).verify(gen!.body, signed(gen!))).toThrow(
    WebhookVerificationError,
  );

  const exported = await request(stack.apiUrl)
    .post(`/api/projects/${projectId}/export/zip`)
    .set(...auth(user))
    .send({ generation_id: job.result.generation.id, webhook_url: `${receiver.url}/exported` });
  expect([200, 202]).toContain(exported.status);
  const [exp] = await receivedOn('exported', 1);
  const exportEvent = new Webhook(secret).verify(exp!.body, signed(exp!)) as Record<string, any>;
  expect(exportEvent.type).toBe('export.completed');
  expect(exportEvent.data).toMatchObject({ kind: 'export', status: 'completed', project_id: projectId });
  expect(exportEvent.data.result).toMatchObject({
    download_url: expect.any(String),
    file_count: job.result.generation.files.length,
  });
  expect(() => new Webhook('whsec_' + Buffer.alloc(32, 9).toString('base64')).verify(exp!.body, signed(exp!))).toThrow(
    WebhookVerificationError,
  );

  const delivery = await deliveryOf(user, `msg_${jobId}_generation_completed`);
  expect(delivery).toEqual({
    id: `msg_${jobId}_generation_completed`,
    event_type: 'generation.completed',
    url: `${receiver.url}/done`,
    status: 'delivered',
    attempts: 1,
    last_status_code: 204,
    last_error: null,
    next_attempt_at: null,
    created_at: expect.any(String),
  });
});

it('sends generation.failed when the job fails', async () => {
  llm.enqueue({ kind: 'status', status: 400 });
  const jobId = await submitWithHook('failed');
  const job = await waitForJob(stack.apiUrl, user.token, jobId);
  expect(job.status).toBe('failed');
  const [req] = await receivedOn('failed', 1);
  const event = new Webhook(await secretOf(user)).verify(req!.body, signed(req!)) as Record<string, any>;
  expect(event).toMatchObject({
    type: 'generation.failed',
    data: { job_id: jobId, status: 'failed', error: job.error },
  });
});

it('retries a receiver that answers 500 twice, with the same webhook-id each time, until it answers 200', async () => {
  receiver.enqueue({ status: 500 }, { status: 500 }, { status: 200 });
  const jobId = await submitWithHook('flaky');
  const reqs = await receivedOn('flaky', 3);
  const id = `msg_${jobId}_generation_completed`;
  expect(reqs.map((r) => r.headers['webhook-id'])).toEqual([id, id, id]);
  expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
  const secret = await secretOf(user);
  for (const r of reqs)
    expect(new Webhook(secret).verify(r.body, signed(r))).toMatchObject({ type: 'generation.completed' });
  const deadline = Date.now() + 5000;
  let delivery = await deliveryOf(user, id);
  while (delivery.status === 'pending' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    delivery = await deliveryOf(user, id);
  }
  expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200, last_error: null });
});

it('stops after a 410, and does not follow a redirect', async () => {
  receiver.enqueue({ status: 410 });
  const goneJob = await submitWithHook('gone');
  receiver.enqueue({ status: 301, headers: { location: `${receiver.url}/elsewhere` } });
  const movedJob = await submitWithHook('moved');
  await receivedOn('gone', 1);
  await receivedOn('moved', 2);
  // Long enough for a couple more retries of the 410 had there been any.
  await new Promise((r) => setTimeout(r, 10 * RETRY_BASE_MS));
  expect(receiver.requests.filter((r) => r.path === '/gone')).toHaveLength(1);
  expect(receiver.requests.filter((r) => r.path === '/elsewhere')).toHaveLength(0);
  expect(await deliveryOf(user, `msg_${goneJob}_generation_completed`)).toMatchObject({
    status: 'failed',
    attempts: 1,
    last_status_code: 410,
    next_attempt_at: null,
  });
  const moved = await deliveryOf(user, `msg_${movedJob}_generation_completed`);
  expect(moved).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204 });
});

it('signs with the new secret after a rotation', async () => {
  const old = await secretOf(user);
  const rotated = await request(stack.apiUrl)
    .post('/api/webhooks/secret/rotate')
    .set(...auth(user));
  expect(rotated.body.secret).not.toBe(old);
  await submitWithHook('rotated');
  const [req] = await receivedOn('rotated', 1);
  expect(new Webhook(rotated.body.secret).verify(req!.body, signed(req!))).toMatchObject({
    type: 'generation.completed',
  });
  expect(() => new Webhook(old).verify(req!.body, signed(req!))).toThrow(WebhookVerificationError);
});
