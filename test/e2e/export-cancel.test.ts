import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import request from 'supertest';
import { startWebhookReceiver, type WebhookReceiver } from '../../apps/worker/test/webhooks/webhook-receiver';
import { balance, createProject } from '../support/http';
import { openEventStream } from '../support/sse-client';
import { startStack, type Stack } from '../support/stack';
import { bearer, registerUser, type TestUser } from '../support/users';
import {
  objectExists,
  startPrivateS3,
  startS3Gate,
  testS3,
  type GatedRequest,
  type PrivateS3,
  type S3Gate,
} from './export-support';
import { until as waitUntil } from '../support/until';

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) =>
  waitUntil(what, check, timeoutMs);

// The stack's S3 is a private s3rver behind a gate that records the S3 requests and holds the
// upload's parts until the test lets them go: the cancel lands while the upload is under way
// because the test waits for that state, not for a time it guesses.
let privateS3: PrivateS3;
let gate: S3Gate;
let receiver: WebhookReceiver;
let stack: Stack;
let s3: ReturnType<typeof testS3>;

beforeAll(async () => {
  privateS3 = await startPrivateS3();
  gate = await startS3Gate(privateS3);
  receiver = await startWebhookReceiver();
  stack = await startStack('exportcancel', {
    LLM_PROVIDER: 'offline',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_BASE_MS: '200',
    ...gate.env,
  });
  s3 = testS3(privateS3.env);
}, 60_000);
afterAll(async () => {
  s3?.s3.destroy();
  await stack?.stop();
  await receiver?.close();
  await gate?.stop();
  await privateS3?.stop();
});

/**
 * A generation too large for one part, written directly (model answers are capped at 8 MiB):
 * 16 files of 768 KiB of base64 noise, a ZIP of ~9 MiB, so a multipart upload of two parts.
 */
async function largeGeneration(u: TestUser, projectId: string): Promise<string> {
  const id = new ObjectId();
  await stack.mongo
    .db()
    .collection('generations')
    .insertOne({
      _id: id,
      user_id: new ObjectId(u.id),
      project_id: new ObjectId(projectId),
      job_id: null,
      cache_key: `test-${id.toHexString()}`,
      description: 'a large project',
      cached: false,
      cost_usd: 0,
      duration_seconds: 0,
      created_at: new Date(),
      files: Array.from({ length: 16 }, (_, i) => ({
        path: `data/chunk-${i}.txt`,
        content: randomBytes(576 * 1024).toString('base64'),
      })),
      entrypoint: null,
      instructions: null,
      model: 'test',
      provider: 'test',
      usage: { prompt_tokens: 0, completion_tokens: 0 },
      framework: 'html',
      type: 'web_app',
      source_generation_id: id.toHexString(),
    });
  return id.toHexString();
}

const workerLogged = (message: string, jobId: string) =>
  stack.workers.some((w) => w.entries().some((e) => e.message === message && e.job_id === jobId));
const isPart = (r: GatedRequest) => r.method === 'PUT' && r.query.has('uploadId') && r.query.has('partNumber');

it('cancelling an export mid-upload aborts its multipart upload: cancelled everywhere, no object, no part, one webhook, no charge', async () => {
  const u = await registerUser(stack.apiUrl, 'export-cancel');
  const projectId = await createProject(stack.apiUrl, u.token);
  const generationId = await largeGeneration(u, projectId);
  const credits = await balance(stack.apiUrl, u.token);
  const key = `users/${u.id}/projects/${projectId}/code.zip`;

  gate.holdParts();
  const submit = await request(stack.apiUrl)
    .post(`/api/projects/${projectId}/export/zip`)
    .set(...bearer(u))
    .send({ generation_id: generationId, webhook_url: `${receiver.url}/export-cancel` });
  expect(submit.status).toBe(202);
  const jobId = submit.body.job_id as string;
  const stream = await openEventStream(`${stack.apiUrl}/api/jobs/${jobId}/events`, u.token);
  await until('a part of the ZIP on its way to S3', () => gate.held > 0);

  const cancelled = await request(stack.apiUrl)
    .post(`/api/jobs/${jobId}/cancel`)
    .set(...bearer(u));
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ job_id: jobId, kind: 'export', status: 'cancelled', result: null });
  // The worker sees the cancel within its check interval; only then do the held parts go on, so
  // an upload that ignored the cancel would now complete.
  const seen = await until(
    'the worker to see the cancel',
    () => workerLogged('export_cancel_seen', jobId),
    10_000,
  ).then(
    () => true,
    () => false,
  );
  gate.release();
  await until('the worker to stop the export', () => workerLogged('export_stopped', jobId));

  // S3: no object at the key, no CompleteMultipartUpload, every multipart upload aborted, no part left.
  expect(await objectExists(s3.s3, s3.bucket, key)).toBe(false);
  const ofKey = gate.requests.filter((r) => r.path === `/${s3.bucket}/${key}`);
  expect(ofKey.filter(isPart).length).toBeGreaterThan(0);
  expect(ofKey.filter((r) => r.method === 'POST' && r.query.has('uploadId'))).toEqual([]);
  const started = new Set(ofKey.filter(isPart).map((r) => r.query.get('uploadId')));
  const aborted = ofKey.filter((r) => r.method === 'DELETE' && r.query.has('uploadId') && r.status === 204);
  expect(new Set(aborted.map((r) => r.query.get('uploadId')))).toEqual(started);
  expect(gate.incompleteUploads()).toEqual([]);

  // Cancelled everywhere: the poll, the event stream (which ends), the webhook, the metric; no record.
  const polled = await request(stack.apiUrl)
    .get(`/api/jobs/${jobId}`)
    .set(...bearer(u));
  expect(polled.body).toMatchObject({ status: 'cancelled', result: null, error: null });
  await stream.ended;
  expect(stream.events.filter((e) => e.event === 'message').at(-1)!.data.status).toBe('cancelled');
  const [hook] = await receiver.waitFor(1, 15_000);
  expect(hook!.path).toBe('/export-cancel');
  expect(JSON.parse(hook!.body)).toMatchObject({
    type: 'export.cancelled',
    data: { job_id: jobId, status: 'cancelled' },
  });
  const deliveries = await request(stack.apiUrl)
    .get('/api/webhooks/deliveries')
    .set(...bearer(u));
  expect(deliveries.body.items.map((d: { event_type: string }) => d.event_type)).toEqual(['export.cancelled']);
  const metrics = await request(stack.apiUrl).get('/api/metrics');
  expect(metrics.text).toMatch(/vectort_exports_total\{status="cancelled"[^}]*\} 1/);
  expect(
    await stack.mongo
      .db()
      .collection('exports')
      .countDocuments({ job_id: new ObjectId(jobId) }),
  ).toBe(0);
  expect(
    (
      await request(stack.apiUrl)
        .get(`/api/projects/${projectId}/export`)
        .set(...bearer(u))
    ).status,
  ).toBe(404);

  // Exports cost nothing (API.md): no debit, so no refund either.
  expect(await balance(stack.apiUrl, u.token)).toBe(credits);
  const ledger = await request(stack.apiUrl)
    .get('/api/credits')
    .set(...bearer(u));
  expect(ledger.body.ledger.filter((e: { job_id?: string }) => e.job_id === jobId)).toEqual([]);
  expect(seen).toBe(true);
}, 90_000);
