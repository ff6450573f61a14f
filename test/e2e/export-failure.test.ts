import { ObjectId } from 'mongodb';
import request from 'supertest';
import { createProject, generate, waitForJob } from '../support/http';
import { freePort, startStack, type AppProcess, type Stack } from '../support/stack';
import { registerUser } from '../support/users';
import { download, objectExists, testS3, unzip } from './export-support';

// The API keeps the real S3; workers are started per test, one of them against a dead S3 port.
let stack: Stack;
let s3: ReturnType<typeof testS3>;

beforeAll(async () => {
  stack = await startStack('exportfail', { LLM_PROVIDER: 'offline' }, 0);
  s3 = testS3(stack.env);
}, 60_000);
// Each test stops its workers, even when an assertion failed, so the next test's job goes to its own.
const running: AppProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
});
afterAll(async () => {
  s3?.s3.destroy();
  await stack?.stop();
});

it('with S3 down, an export retries with backoff, ends failed (export_failed) and leaves the previous export as the latest', async () => {
  const good: AppProcess = await stack.startWorker();
  running.push(good);
  const u = await registerUser(stack.apiUrl, 'export-fail');
  const projectId = await createProject(stack.apiUrl, u.token);
  const res = await generate(stack.apiUrl, u.token, projectId, {
    description: `First ${Date.now()}`,
    framework: 'html',
  });
  const first = (await waitForJob(stack.apiUrl, u.token, res.body.job_id)).result.generation;
  const ok = await request(stack.apiUrl)
    .post(`/api/projects/${projectId}/export/zip?wait=20`)
    .set('Authorization', `Bearer ${u.token}`)
    .send({});
  expect(ok.status).toBe(200);
  const second = await generate(stack.apiUrl, u.token, projectId, {
    description: `Second ${Date.now()}`,
    framework: 'svelte',
  });
  expect((await waitForJob(stack.apiUrl, u.token, second.body.job_id)).status).toBe('completed');
  await good.stop();

  // Nothing listens on this port: every S3 call of this worker is refused.
  const broken = await stack.startWorker({ S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
  running.push(broken);
  const started = Date.now();
  const submit = await request(stack.apiUrl)
    .post(`/api/projects/${projectId}/export/zip`)
    .set('Authorization', `Bearer ${u.token}`)
    .send({});
  expect(submit.status).toBe(202);
  const job = await waitForJob(stack.apiUrl, u.token, submit.body.job_id, 60_000);
  expect(job.status).toBe('failed');
  expect(job.result).toBeNull();
  expect(job.error).toEqual({
    code: 'export_failed',
    message: 'Storage (S3) could not be reached to upload the ZIP after 4 attempt(s)',
  });
  // Four attempts with 1 s, 2 s and 4 s of backoff between them.
  expect(Date.now() - started).toBeGreaterThanOrEqual(7000);
  // The worker's stdout reaches us asynchronously: wait for its final line.
  for (let i = 0; i < 50 && !broken.entries().some((e) => e.message === 'export_failed'); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const logged = broken.entries().filter((e) => e.job_id === submit.body.job_id);
  expect(logged.filter((e) => e.message === 'export_attempt_failed')).toHaveLength(3);
  const final = logged.find((e) => e.message === 'export_failed');
  expect(final).toMatchObject({ level: 'error', attempt: 4, reason: job.error.message });
  expect(String(final!.cause)).toMatch(/ECONNREFUSED/);
  // No record of the failed export; the previous one is still the latest, with its object intact.
  expect(
    await stack.mongo
      .db()
      .collection('exports')
      .countDocuments({ job_id: new ObjectId(submit.body.job_id) }),
  ).toBe(0);
  const latest = await request(stack.apiUrl)
    .get(`/api/projects/${projectId}/export`)
    .set('Authorization', `Bearer ${u.token}`);
  expect(latest.status).toBe(200);
  expect(latest.body.file_count).toBe(first.files.length);
  const entries = await unzip((await download(latest.body.download_url)).body);
  expect([...entries.keys()].sort()).toEqual(first.files.map((f: { path: string }) => f.path).sort());
}, 90_000);

it('a first export that fails leaves no object and no record: GET /export stays 404', async () => {
  const broken = await stack.startWorker({ S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
  running.push(broken);
  const u = await registerUser(stack.apiUrl, 'export-fail-first');
  const projectId = await createProject(stack.apiUrl, u.token);
  const res = await generate(stack.apiUrl, u.token, projectId, {
    description: `Only ${Date.now()}`,
    framework: 'html',
  });
  expect((await waitForJob(stack.apiUrl, u.token, res.body.job_id)).status).toBe('completed');
  const submit = await request(stack.apiUrl)
    .post(`/api/projects/${projectId}/export/zip?wait=30`)
    .set('Authorization', `Bearer ${u.token}`)
    .send({});
  // Not finished within the wait? Poll on; a failure within the wait answers 202 with the error.
  const job =
    submit.status === 202 && submit.body.status !== 'failed'
      ? await waitForJob(stack.apiUrl, u.token, submit.body.job_id, 60_000)
      : submit.body;
  expect(job.status).toBe('failed');
  expect(job.error.code).toBe('export_failed');
  expect(await objectExists(s3.s3, s3.bucket, `users/${u.id}/projects/${projectId}/code.zip`)).toBe(false);
  expect(
    await stack.mongo
      .db()
      .collection('exports')
      .countDocuments({ project_id: new ObjectId(projectId) }),
  ).toBe(0);
  expect(
    (await request(stack.apiUrl).get(`/api/projects/${projectId}/export`).set('Authorization', `Bearer ${u.token}`))
      .status,
  ).toBe(404);
}, 90_000);
