import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ObjectId, type Db } from 'mongodb';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import {
  Collections,
  createLogger,
  createMongo,
  createRedis,
  createWebhookSecrets,
  ensureIndexes,
  generateWebhookSecret,
  queuePrefix,
  toJobView,
  type JobDocument,
  type JobKind,
  type Mongo,
  type WebhookDeliveryDocument,
} from '@vectort/shared';
import { createJobRecord, type JobRecord } from '../../src/processors/job-record';
import { createWebhookEnqueuer } from '../../src/webhooks/enqueue-webhook';
import { webhookWorkerSettings } from '../../src/webhooks/webhook-backoff';
import { sendWebhook } from '../../src/webhooks/webhook-sender';
import { createWebhookProcessor } from '../../src/webhooks/webhook.processor';
import { LogCapture } from '../../../../test/support/log-capture';
import { mongoUrlWithDb, serviceEnv, uniqueName } from '../../../../test/support/services';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const RETRY_BASE_MS = 50;

let mongo: Mongo;
let db: Db;
let redis: Redis;
let receiver: WebhookReceiver;
const logs = new LogCapture();
const logger = createLogger({ service: 'worker', level: 'info', stream: logs.stream });
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const env = serviceEnv();
  mongo = await createMongo({ mongoUrl: mongoUrlWithDb(env.MONGO_URL!, uniqueName('webhooks')) });
  db = mongo.db;
  await ensureIndexes(db);
  redis = createRedis({ redisUrl: env.REDIS_URL!, role: 'worker' });
  receiver = await startWebhookReceiver();
});

afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

afterAll(async () => {
  await receiver?.close();
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.client.close();
  redis?.disconnect();
});

interface Delivery {
  queue: Queue;
  record: JobRecord;
  /** Inserts an active job of `kind` for a new user, with `webhookUrl`. */
  newJob(webhookUrl: string | null, kind?: JobKind): Promise<{ id: ObjectId; userId: ObjectId }>;
}

/** A webhook queue and worker of their own (fresh prefix), wired like worker-app does. */
async function startDelivery(
  options: { allowPrivate?: boolean; retryBaseMs?: number; timeoutMs?: number } = {},
): Promise<Delivery> {
  const prefix = uniqueName('wh');
  const connection = redis;
  const queue = new Queue('webhook', { connection, prefix: queuePrefix(prefix) });
  const retryBaseMs = options.retryBaseMs ?? RETRY_BASE_MS;
  const processor = createWebhookProcessor({
    db,
    logger,
    allowPrivate: options.allowPrivate ?? true,
    retryBaseMs,
    timeoutMs: options.timeoutMs,
  });
  const workerConnection = createRedis({ redisUrl: serviceEnv().REDIS_URL!, role: 'worker' });
  const worker = new Worker('webhook', processor, {
    connection: workerConnection,
    prefix: queuePrefix(prefix),
    concurrency: 5,
    settings: webhookWorkerSettings(retryBaseMs),
  });
  cleanups.push(async () => {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    workerConnection.disconnect();
  });
  const record = createJobRecord(db, redis, prefix, { onEnd: createWebhookEnqueuer({ db, queue, logger }) });
  return {
    queue,
    record,
    async newJob(webhookUrl, kind = 'generate') {
      const id = new ObjectId();
      const userId = new ObjectId();
      const now = new Date();
      await db.collection<JobDocument>(Collections.jobs).insertOne({
        _id: id,
        kind,
        user_id: userId,
        project_id: new ObjectId(),
        status: 'active',
        progress: 50,
        result: null,
        error: null,
        webhook_url: webhookUrl,
        payload: {},
        created_at: now,
        updated_at: now,
        finished_at: null,
      });
      return { id, userId };
    },
  };
}

const deliveries = () => db.collection<WebhookDeliveryDocument>(Collections.webhookDeliveries);

async function waitForDelivery(id: string, timeoutMs = 15_000): Promise<WebhookDeliveryDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await deliveries().findOne({ _id: id });
    if (doc && doc.status !== 'pending') return doc;
    if (Date.now() > deadline)
      throw new Error(`delivery ${id} still ${doc?.status ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const hookUrl = (path: string) => `${receiver.url}/${path}`;
const received = (path: string) => receiver.requests.filter((r) => r.path === `/${path}`);

describe('webhook delivery', () => {
  it('POSTs a signed generation.completed event that standardwebhooks verifies, and a wrong secret does not', async () => {
    const d = await startDelivery();
    const { id, userId } = await d.newJob(hookUrl('ok'));
    const result = {
      generation: { id: id.toHexString(), files: [{ path: 'src/App.jsx', content: 'export default 1' }] },
    };
    await d.record.complete(id, result);

    const webhookId = `msg_${id.toHexString()}_generation_completed`;
    const delivery = await waitForDelivery(webhookId);
    expect(delivery).toMatchObject({
      status: 'delivered',
      attempts: 1,
      last_status_code: 204,
      last_error: null,
      next_attempt_at: null,
    });
    const [req] = received('ok');
    expect(req).toBeDefined();
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['webhook-id']).toBe(webhookId);
    expect(Number(req!.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);

    const secret = await createWebhookSecrets(db).get(userId);
    const headers = {
      'webhook-id': String(req!.headers['webhook-id']),
      'webhook-timestamp': String(req!.headers['webhook-timestamp']),
      'webhook-signature': String(req!.headers['webhook-signature']),
    };
    const event = new Webhook(secret).verify(req!.body, headers) as Record<string, any>;
    const job = await db.collection<JobDocument>(Collections.jobs).findOne({ _id: id });
    expect(event).toEqual({
      type: 'generation.completed',
      timestamp: job!.finished_at!.toISOString(),
      data: toJobView(job!),
    });
    expect(event.data.result).toEqual(result);
    expect(() => new Webhook(generateWebhookSecret()).verify(req!.body, headers)).toThrow(WebhookVerificationError);
    expect(JSON.stringify(logs.entries())).not.toContain(secret.slice(6));
  });

  it('names events after the job kind and outcome: generation.failed, export.completed', async () => {
    const d = await startDelivery();
    const failed = await d.newJob(hookUrl('kinds'));
    await d.record.fail(failed.id, { code: 'llm_error', message: 'The model refused' });
    const exported = await d.newJob(hookUrl('kinds'), 'export');
    await d.record.complete(exported.id, { download_url: 'https://s3.example/x.zip', size_bytes: 10 });
    await waitForDelivery(`msg_${failed.id.toHexString()}_generation_failed`);
    await waitForDelivery(`msg_${exported.id.toHexString()}_export_completed`);
    const events = received('kinds').map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.type).sort()).toEqual(['export.completed', 'generation.failed']);
    const failure = events.find((e) => e.type === 'generation.failed');
    expect(failure.data).toMatchObject({
      status: 'failed',
      error: { code: 'llm_error', message: 'The model refused' },
    });
  });

  it('enqueues nothing for a job without a webhook_url', async () => {
    const d = await startDelivery();
    const { id } = await d.newJob(null);
    await d.record.complete(id, { generation: {} });
    expect(await d.queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: 0 });
  });

  it('retries 500, 500, then 200 with the same webhook-id and body, on the backoff schedule', async () => {
    const d = await startDelivery();
    receiver.enqueue({ status: 500 }, { status: 500 }, { status: 200 });
    const { id } = await d.newJob(hookUrl('flaky'));
    await d.record.complete(id, { generation: { id: 'g' } });
    const webhookId = `msg_${id.toHexString()}_generation_completed`;
    const delivery = await waitForDelivery(webhookId);

    const reqs = received('flaky');
    expect(reqs).toHaveLength(3);
    expect(reqs.map((r) => r.headers['webhook-id'])).toEqual([webhookId, webhookId, webhookId]);
    expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
    // Retry 1 waits base..1.25 base, retry 2 four times that.
    expect(reqs[1]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(RETRY_BASE_MS - 5);
    expect(reqs[2]!.at - reqs[1]!.at).toBeGreaterThanOrEqual(4 * RETRY_BASE_MS - 5);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200, last_error: null });
    expect(delivery.attempt_log.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'http_status'],
      [2, 500, 'http_status'],
      [3, 200, null],
    ]);
  });

  it('stops at once on 410 Gone', async () => {
    const d = await startDelivery();
    receiver.enqueue({ status: 410 });
    const { id } = await d.newJob(hookUrl('gone'));
    await d.record.complete(id, { generation: {} });
    const delivery = await waitForDelivery(`msg_${id.toHexString()}_generation_completed`);
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status_code: 410,
      last_error: 'http_status',
      next_attempt_at: null,
    });
    // Well past the first two retry delays: still one request.
    await new Promise((r) => setTimeout(r, 6 * RETRY_BASE_MS));
    expect(received('gone')).toHaveLength(1);
  });

  it('does not follow a redirect: counts it as a failure and retries the original URL', async () => {
    const d = await startDelivery();
    receiver.enqueue(
      { status: 302, headers: { location: `${receiver.url}/redirect-target` } },
      { status: 307, headers: { location: '/redirect-target' } },
    );
    const { id } = await d.newJob(hookUrl('moved'));
    await d.record.complete(id, { generation: {} });
    const delivery = await waitForDelivery(`msg_${id.toHexString()}_generation_completed`);
    expect(received('redirect-target')).toHaveLength(0);
    expect(received('moved')).toHaveLength(3);
    expect(delivery.attempt_log.map((a) => a.status_code)).toEqual([302, 307, 204]);
    // The redirect target is not shown: it could name an internal host.
    expect(delivery.attempt_log[0]!.error).toBe('http_status');
    expect(delivery.status).toBe('delivered');
  });

  it('gives up on a receiver that does not answer within the timeout, then retries', async () => {
    const d = await startDelivery({ timeoutMs: 300 });
    receiver.enqueue({ hang: true });
    const { id } = await d.newJob(hookUrl('slow'));
    await d.record.complete(id, { generation: {} });
    const delivery = await waitForDelivery(`msg_${id.toHexString()}_generation_completed`);
    expect(delivery.attempt_log.map((a) => [a.status_code, a.error])).toEqual([
      [null, 'timeout'],
      [204, null],
    ]);
    expect(delivery.attempt_log[0]!.duration_ms).toBeGreaterThanOrEqual(290);
  });

  it('delivers once however often the job ends or is redelivered', async () => {
    const d = await startDelivery();
    const { id } = await d.newJob(hookUrl('once'));
    await d.record.complete(id, { generation: {} });
    // BullMQ redelivers the job: start() finds it ended and runs the hook again; a second complete too.
    expect(await d.record.start(id)).toBeNull();
    await d.record.complete(id, { generation: {} });
    await waitForDelivery(`msg_${id.toHexString()}_generation_completed`);
    // Even after BullMQ dropped the finished job, the delivery record keeps a new enqueue a no-op.
    await d.queue.clean(0, 100, 'completed');
    await d.record.complete(id, { generation: {} });
    await new Promise((r) => setTimeout(r, 500));
    expect(received('once')).toHaveLength(1);
    expect(await deliveries().countDocuments({ job_id: id })).toBe(1);
  });

  it('makes all 10 attempts against a receiver that keeps failing, then marks the delivery failed', async () => {
    // Base 1 ms: the whole schedule (1 ms to 4 s) takes about 14-17 s.
    const d = await startDelivery({ retryBaseMs: 1 });
    receiver.enqueue(...Array.from({ length: 10 }, () => ({ status: 503 })));
    const { id } = await d.newJob(hookUrl('down'));
    await d.record.complete(id, { generation: {} });
    const delivery = await waitForDelivery(`msg_${id.toHexString()}_generation_completed`, 25_000);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 10, last_status_code: 503, next_attempt_at: null });
    expect(received('down')).toHaveLength(10);
    const job = await d.queue.getJob(delivery._id);
    expect(await job?.getState()).toBe('failed');
  }, 40_000);
});

describe('address checks at send time', () => {
  it('refuses loopback by name (checked in the socket lookup) and by literal, before connecting', async () => {
    const before = receiver.connections;
    const send = (url: string) => sendWebhook({ url, headers: {}, body: '{}', allowPrivate: false });
    expect(await send(`https://localhost:${receiver.port}/x`)).toEqual({
      kind: 'blocked',
      message: 'localhost resolves to 127.0.0.1, a loopback address',
    });
    expect(await send(`https://127.0.0.1:${receiver.port}/x`)).toEqual({
      kind: 'blocked',
      message: '127.0.0.1 is a loopback address',
    });
    expect(await send(`https://0x7f000001:${receiver.port}/x`)).toEqual({
      kind: 'blocked',
      message: '127.0.0.1 is a loopback address',
    });
    expect(await send(`https://[::ffff:127.0.0.1]:${receiver.port}/x`)).toEqual({
      kind: 'blocked',
      message: '::ffff:7f00:1 is a loopback address',
    });
    expect(await send(`http://localhost:${receiver.port}/x`)).toEqual({
      kind: 'blocked',
      message: 'scheme http: is not allowed',
    });
    expect(receiver.connections).toBe(before);
    // The same request with private networks allowed does reach it.
    expect(
      await sendWebhook({ url: `http://localhost:${receiver.port}/x`, headers: {}, body: '{}', allowPrivate: true }),
    ).toMatchObject({ kind: 'answered' });
  });

  it('fails a delivery to a refused address at once, without retries', async () => {
    const d = await startDelivery({ allowPrivate: false });
    const { id } = await d.newJob(`https://localhost:${receiver.port}/blocked`);
    await d.record.complete(id, { generation: {} });
    const delivery = await waitForDelivery(`msg_${id.toHexString()}_generation_completed`);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
    // Nor what the name resolved to: that would make webhook URLs an internal-DNS oracle.
    expect(delivery.last_error).toBe('blocked_address');
    expect(received('blocked')).toHaveLength(0);
  });
});

// Issue 11, finding 7: with Bull Board access, a `webhook` job with any job_id/user_id and the
// attacker's URL made the worker POST that job's result out. Jobs now carry a delivery id only.
describe('forged webhook jobs (finding 7)', () => {
  async function finalState(queue: Queue, jobId: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed' || state === 'completed') {
        // Read again: the snapshot above may predate the end the state now reports.
        const ended = (await queue.getJob(jobId))!;
        return { state, reason: ended.failedReason, value: ended.returnvalue };
      }
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('does nothing but fail for a job naming another job, user and URL, or a delivery the system never wrote', async () => {
    const d = await startDelivery();
    const victim = await d.newJob(null);
    await d.record.complete(victim.id, {
      generation: { files: [{ path: 'secret.txt', content: 'the crown jewels' }] },
    });
    const before = await deliveries().countDocuments({});
    const forged = [
      // The old payload shape, as an attacker would type it into Bull Board.
      {
        webhook_id: 'msg_forged',
        job_id: victim.id.toHexString(),
        user_id: victim.userId.toHexString(),
        event_type: 'generation.completed',
        url: hookUrl('attacker'),
      },
      // The id a real delivery of that job would have, had it asked for one.
      { delivery_id: `msg_${victim.id.toHexString()}_generation_completed`, url: hookUrl('attacker') },
      { delivery_id: { $ne: null } },
      {},
    ];
    for (const [i, data] of forged.entries()) {
      await d.queue.add('webhook', data, { jobId: `forged-${i}`, attempts: 3 });
      const outcome = await finalState(d.queue, `forged-${i}`);
      expect(outcome).toMatchObject({ state: 'failed', reason: 'No such webhook delivery' });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(received('attacker')).toHaveLength(0);
    expect(receiver.requests.some((r) => r.body.includes('crown jewels'))).toBe(false);
    expect(await deliveries().countDocuments({})).toBe(before);
    expect(logs.entries().filter((e) => e.message === 'webhook_job_refused').length).toBeGreaterThanOrEqual(4);
  });

  it('sends a real delivery only to its recorded URL, whatever URL a re-added job names, and never twice', async () => {
    const d = await startDelivery();
    const { id } = await d.newJob(hookUrl('owner'));
    await d.record.complete(id, { generation: { files: [] } });
    const deliveryId = `msg_${id.toHexString()}_generation_completed`;
    expect((await waitForDelivery(deliveryId)).status).toBe('delivered');
    await d.queue.add('webhook', { delivery_id: deliveryId, url: hookUrl('attacker') }, { jobId: 'replayed' });
    expect((await finalState(d.queue, 'replayed')).value).toEqual({ skipped: true });
    expect(received('attacker')).toHaveLength(0);
    expect(received('owner')).toHaveLength(1);
  });
});
