import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { ObjectId } from 'mongodb';
import request from 'supertest';
import { deletePrefix, exportKey, queuePrefix } from '@vectort/shared';
import { listKeys, startPrivateS3, testS3 } from '../../../test/e2e/export-support';
import { freePort } from '../../../test/support/stack';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

// The API alone (no worker): what it records and enqueues, how it signs URLs and purges S3.
let app: TestApp;
let alice: TestUser;

beforeAll(async () => {
  // This machine resolves no outside names, so the webhook URL is a loopback one, allowed here.
  app = await startTestApp('export', { RATE_LIMIT_REGISTER_PER_HOUR: '1000', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
  alice = await registerUser(app.baseUrl, 'alice');
});
afterAll(() => app.close());

async function projectWithGeneration(user: TestUser): Promise<{ projectId: string; generationId: ObjectId }> {
  const created = await request(app.baseUrl)
    .post('/api/projects')
    .set(...bearer(user))
    .send({ name: 'p' });
  const projectId = new ObjectId(created.body.id as string);
  const generationId = new ObjectId();
  await app.db.collection('generations').insertOne({
    _id: generationId,
    user_id: new ObjectId(user.id),
    project_id: projectId,
    files: [{ path: 'index.html', content: '<h1>hi</h1>' }],
    created_at: new Date(),
  });
  await app.db.collection('projects').updateOne({ _id: projectId }, { $set: { latest_generation_id: generationId } });
  return { projectId: projectId.toHexString(), generationId };
}

it('records an export job of the latest generation and enqueues it with retries and backoff', async () => {
  const { projectId, generationId } = await projectWithGeneration(alice);
  const res = await request(app.baseUrl)
    .post(`/api/projects/${projectId}/export/zip`)
    .set(...bearer(alice))
    .send({ webhook_url: 'https://127.0.0.1:9/hooks/export' });
  expect(res.status).toBe(202);
  const jobId = res.body.job_id as string;
  expect(res.headers.location).toBe(`/api/jobs/${jobId}`);

  const doc = await app.db.collection('jobs').findOne({ _id: new ObjectId(jobId) });
  expect(doc).toMatchObject({
    kind: 'export',
    status: 'queued',
    user_id: new ObjectId(alice.id),
    project_id: new ObjectId(projectId),
    webhook_url: 'https://127.0.0.1:9/hooks/export',
    payload: {
      job_id: jobId,
      user_id: alice.id,
      project_id: projectId,
      generation_id: generationId.toHexString(),
      request_id: expect.any(String),
    },
  });
  const queue = new Queue('export', { connection: app.redis, prefix: queuePrefix(app.config.redisKeyPrefix) });
  try {
    const job = await queue.getJob(jobId);
    expect(job?.data).toEqual(doc!.payload);
    expect(job?.opts).toMatchObject({ attempts: 4, backoff: { type: 'exponential', delay: 1000 } });
  } finally {
    await queue.close();
  }

  // With nobody to run it, ?wait= gives up after the wait and answers 202 with the status URL.
  const started = Date.now();
  const waited = await request(app.baseUrl)
    .post(`/api/projects/${projectId}/export/zip?wait=1`)
    .set(...bearer(alice))
    .send({});
  expect(waited.status).toBe(202);
  expect(waited.body).toMatchObject({ status: 'queued', status_url: `/api/jobs/${waited.body.job_id}` });
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  const tooLong = await request(app.baseUrl)
    .post(`/api/projects/${projectId}/export/zip?wait=31`)
    .set(...bearer(alice))
    .send({});
  expect(tooLong.status).toBe(400);
});

it('GET /export signs a fresh URL on every read for the latest export record', async () => {
  const { projectId, generationId } = await projectWithGeneration(alice);
  const key = exportKey(alice.id, projectId);
  await app.s3.send(new PutObjectCommand({ Bucket: app.config.s3.bucket, Key: key, Body: 'zip bytes' }));
  const older = {
    user_id: new ObjectId(alice.id),
    project_id: new ObjectId(projectId),
    generation_id: generationId,
    key,
    file_count: 1,
  };
  await app.db.collection('exports').insertMany([
    { ...older, _id: new ObjectId(), job_id: new ObjectId(), size_bytes: 1, created_at: new Date(Date.now() - 60_000) },
    { ...older, _id: new ObjectId(), job_id: new ObjectId(), size_bytes: 9, created_at: new Date() },
  ]);

  const first = await request(app.baseUrl)
    .get(`/api/projects/${projectId}/export`)
    .set(...bearer(alice));
  expect(first.status).toBe(200);
  expect(first.body).toEqual({
    download_url: expect.any(String),
    expires_at: expect.any(String),
    size_bytes: 9,
    file_count: 1,
    key,
  });
  await new Promise((r) => setTimeout(r, 1100));
  const second = await request(app.baseUrl)
    .get(`/api/projects/${projectId}/export`)
    .set(...bearer(alice));
  expect(second.body.download_url).not.toBe(first.body.download_url);
  expect(Date.parse(second.body.expires_at)).toBeGreaterThan(Date.parse(first.body.expires_at));
  for (const url of [first.body.download_url, second.body.download_url]) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('zip bytes');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="code.zip"');
  }
});

it('deletePrefix lists page by page and deletes in batches, only under the prefix', async () => {
  // A private s3rver that can page (see startPrivateS3): 2,005 keys, pages of 1,000 (S3's cap)
  // and then of 2, so both the real batch size and many small pages are exercised.
  const privateS3 = await startPrivateS3();
  const { s3, bucket } = testS3(privateS3.env);
  try {
    const base = `test/${new ObjectId().toHexString()}`;
    const put = (key: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    const keys = Array.from({ length: 2005 }, (_, i) => `${base}/p1/file-${String(i).padStart(4, '0')}.txt`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map(put));
    await put(`${base}/p10/sibling.txt`);
    expect(await listKeys(s3, bucket, `${base}/p1/`)).toHaveLength(2005);
    expect(await deletePrefix(s3, bucket, `${base}/p1/`)).toBe(2005);
    expect(await listKeys(s3, bucket, `${base}/p1/`)).toEqual([]);

    for (let i = 0; i < 7; i++) await put(`${base}/p2/file-${i}.txt`);
    expect(await deletePrefix(s3, bucket, `${base}/p2/`, { pageSize: 2 })).toBe(7);
    expect(await listKeys(s3, bucket, `${base}/p2/`)).toEqual([]);
    expect(await listKeys(s3, bucket, `${base}/p10/`)).toEqual([`${base}/p10/sibling.txt`]);
    await expect(deletePrefix(s3, bucket, `${base}/p10`)).rejects.toThrow(/must end with "\/"/);
  } finally {
    s3.destroy();
    await privateS3.stop();
  }
}, 60_000);

it('with S3 unreachable, deleting a project answers 503 and deletes nothing', async () => {
  const broken = await startTestApp('exportnos3', {
    S3_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    RATE_LIMIT_REGISTER_PER_HOUR: '1000',
  });
  try {
    const u = await registerUser(broken.baseUrl, 'nos3');
    const created = await request(broken.baseUrl)
      .post('/api/projects')
      .set(...bearer(u))
      .send({ name: 'kept' });
    const res = await request(broken.baseUrl)
      .delete(`/api/projects/${created.body.id}`)
      .set(...bearer(u));
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({
      code: 'unavailable',
      message: 'Storage (S3) is unavailable: the project was not deleted',
    });
    expect(res.headers['retry-after']).toBeDefined();
    expect(
      (
        await request(broken.baseUrl)
          .get(`/api/projects/${created.body.id}`)
          .set(...bearer(u))
      ).status,
    ).toBe(200);
  } finally {
    await broken.close();
  }
});
