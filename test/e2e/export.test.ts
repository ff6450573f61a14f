import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import request from 'supertest';
import { createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';
import { download, listKeys, putObject, testS3, unzip } from './export-support';

let stack: Stack;
let s3: ReturnType<typeof testS3>;

beforeAll(async () => {
  stack = await startStack('export', { LLM_PROVIDER: 'offline' });
  s3 = testS3(stack.env);
}, 60_000);
afterAll(async () => {
  s3?.s3.destroy();
  await stack?.stop();
});

const auth = (u: TestUser) => ['Authorization', `Bearer ${u.token}`] as const;

async function generation(
  u: TestUser,
  projectId: string,
  description: string,
  framework = 'react',
): Promise<{ id: string; files: { path: string; content: string }[] }> {
  const res = await generate(stack.apiUrl, u.token, projectId, { description, framework });
  const job =
    res.status === 200
      ? { status: 'completed', result: res.body }
      : await waitForJob(stack.apiUrl, u.token, res.body.job_id);
  expect(job.status).toBe('completed');
  return job.result.generation;
}

function exportZip(u: TestUser, projectId: string, body: Record<string, unknown> = {}, query = '') {
  return request(stack.apiUrl)
    .post(`/api/projects/${projectId}/export/zip${query}`)
    .set(...auth(u))
    .send(body);
}

/** The ZIP's entries equal the generation's files exactly: same names, same bytes, nothing more. */
async function expectZipOf(zip: Buffer, files: { path: string; content: string }[]): Promise<void> {
  const entries = await unzip(zip);
  expect([...entries.keys()].sort()).toEqual(files.map((f) => f.path).sort());
  for (const f of files) expect(entries.get(f.path)!.equals(Buffer.from(f.content, 'utf8'))).toBe(true);
}

it('exports the latest generation: the presigned URL serves a ZIP of exactly its files, byte for byte', async () => {
  const u = await registerUser(stack.apiUrl, 'export');
  const projectId = await createProject(stack.apiUrl, u.token, 'zip me');
  const g = await generation(u, projectId, `A kanban board with "quotes" and ünïcödé ${Date.now()}`);

  const res = await exportZip(u, projectId);
  expect(res.status).toBe(202);
  expect(res.body).toEqual({
    status: 'queued',
    job_id: expect.any(String),
    status_url: `/api/jobs/${res.body.job_id}`,
  });
  expect(res.headers.location).toBe(res.body.status_url);

  const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id);
  expect(job).toMatchObject({ kind: 'export', status: 'completed', progress: 100, project_id: projectId, error: null });
  const key = `users/${u.id}/projects/${projectId}/code.zip`;
  expect(job.result).toEqual({
    download_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//),
    expires_at: expect.any(String),
    size_bytes: expect.any(Number),
    file_count: g.files.length,
    key,
  });
  const ttlLeft = Date.parse(job.result.expires_at) - Date.now();
  expect(ttlLeft).toBeGreaterThan(86_400_000 - 120_000);
  expect(ttlLeft).toBeLessThanOrEqual(86_400_000);
  expect(new URL(job.result.download_url).searchParams.get('X-Amz-Expires')).toBe('86400');

  // A plain HTTP client, no credentials: the signature in the URL is the only key.
  const got = await download(job.result.download_url);
  expect(got.status).toBe(200);
  expect(got.body.length).toBe(job.result.size_bytes);
  await expectZipOf(got.body, g.files);

  // One object under the project's prefix: no temporary or partial object is left behind.
  expect(await listKeys(s3.s3, s3.bucket, `users/${u.id}/projects/${projectId}/`)).toEqual([key]);
  const record = await stack.mongo
    .db()
    .collection('exports')
    .findOne({ project_id: new ObjectId(projectId) });
  expect(record).toMatchObject({
    user_id: new ObjectId(u.id),
    generation_id: new ObjectId(g.id),
    job_id: new ObjectId(res.body.job_id),
    key,
    size_bytes: job.result.size_bytes,
    file_count: g.files.length,
  });

  // GET /export signs a new URL for the same object.
  const latest = await request(stack.apiUrl)
    .get(`/api/projects/${projectId}/export`)
    .set(...auth(u));
  expect(latest.status).toBe(200);
  expect(latest.body).toMatchObject({ key, size_bytes: job.result.size_bytes, file_count: g.files.length });
  const again = await download(latest.body.download_url);
  expect(again.status).toBe(200);
  expect(again.body.equals(got.body)).toBe(true);
});

it('exports a chosen generation and, with ?wait=, answers 200 with the export itself', async () => {
  const u = await registerUser(stack.apiUrl, 'export-wait');
  const projectId = await createProject(stack.apiUrl, u.token);
  const first = await generation(u, projectId, `First version ${Date.now()}`, 'html');
  const second = await generation(u, projectId, `Second version ${Date.now()}`, 'vue');
  expect(second.files.map((f) => f.path)).not.toEqual(first.files.map((f) => f.path));

  const res = await exportZip(u, projectId, { generation_id: first.id }, '?wait=20');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    key: `users/${u.id}/projects/${projectId}/code.zip`,
    file_count: first.files.length,
  });
  await expectZipOf((await download(res.body.download_url)).body, first.files);

  // Without generation_id the latest generation (the second) is exported, overwriting the key.
  const latest = await exportZip(u, projectId, {}, '?wait=20');
  expect(latest.status).toBe(200);
  await expectZipOf((await download(latest.body.download_url)).body, second.files);
  const read = await request(stack.apiUrl)
    .get(`/api/projects/${projectId}/export`)
    .set(...auth(u));
  expect(read.body.file_count).toBe(second.files.length);
  await expectZipOf((await download(read.body.download_url)).body, second.files);
});

it('another user can neither export a project nor read its export or its job (404)', async () => {
  const owner = await registerUser(stack.apiUrl, 'export-owner');
  const other = await registerUser(stack.apiUrl, 'export-other');
  const projectId = await createProject(stack.apiUrl, owner.token);
  const g = await generation(owner, projectId, `Private app ${Date.now()}`, 'html');
  const mine = await exportZip(owner, projectId, {}, '?wait=20');
  expect(mine.status).toBe(200);
  const ownerJobs = await stack.mongo
    .db()
    .collection('jobs')
    .find({ project_id: new ObjectId(projectId), kind: 'export' })
    .toArray();
  expect(ownerJobs).toHaveLength(1);

  const theirs = await createProject(stack.apiUrl, other.token);
  const attempts = [
    await exportZip(other, projectId),
    await exportZip(other, projectId, { generation_id: g.id }),
    // Their own project, the owner's generation.
    await exportZip(other, theirs, { generation_id: g.id }),
    await request(stack.apiUrl)
      .get(`/api/projects/${projectId}/export`)
      .set(...auth(other)),
    await request(stack.apiUrl)
      .get(`/api/jobs/${ownerJobs[0]!._id.toHexString()}`)
      .set(...auth(other)),
  ];
  for (const res of attempts) {
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(JSON.stringify(res.body)).not.toContain(owner.id);
  }
  // Nothing was queued for them.
  expect(
    await stack.mongo
      .db()
      .collection('jobs')
      .countDocuments({ user_id: new ObjectId(other.id) }),
  ).toBe(0);
});

it('answers 404 for a project without a generation and 400 for a malformed generation id', async () => {
  const u = await registerUser(stack.apiUrl, 'export-empty');
  const projectId = await createProject(stack.apiUrl, u.token);
  const none = await exportZip(u, projectId);
  expect(none.status).toBe(404);
  expect(none.body.error).toEqual({ code: 'not_found', message: 'The project has no generation to export yet' });
  expect(
    (
      await request(stack.apiUrl)
        .get(`/api/projects/${projectId}/export`)
        .set(...auth(u))
    ).status,
  ).toBe(404);

  const bad = await exportZip(u, projectId, { generation_id: 'not-an-id' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([{ field: 'generation_id', message: 'must be a generation id' }]);
  const unknownField = await exportZip(u, projectId, { format: 'tar' });
  expect(unknownField.status).toBe(400);
  const http = await exportZip(u, projectId, { webhook_url: 'http://example.com/hook' });
  expect(http.status).toBe(400);
});

it('deleting the project empties its S3 prefix and removes its export records, leaving other projects alone', async () => {
  const u = await registerUser(stack.apiUrl, 'export-delete');
  const projectId = await createProject(stack.apiUrl, u.token, 'doomed');
  const keptId = await createProject(stack.apiUrl, u.token, 'kept');
  await generation(u, projectId, `Doomed app ${Date.now()}`, 'html');
  await generation(u, keptId, `Kept app ${Date.now()}`, 'html');
  expect((await exportZip(u, projectId, {}, '?wait=20')).status).toBe(200);
  expect((await exportZip(u, keptId, {}, '?wait=20')).status).toBe(200);
  const prefix = `users/${u.id}/projects/${projectId}/`;
  // More objects under the prefix than the export: whatever lives there goes with the project.
  for (let i = 0; i < 5; i++) await putObject(s3.s3, s3.bucket, `${prefix}extra/${i}.txt`, `extra ${i}`);
  expect(await listKeys(s3.s3, s3.bucket, prefix)).toHaveLength(6);

  const del = await request(stack.apiUrl)
    .delete(`/api/projects/${projectId}`)
    .set(...auth(u));
  expect(del.status).toBe(204);
  expect(await listKeys(s3.s3, s3.bucket, prefix)).toEqual([]);
  expect(
    await stack.mongo
      .db()
      .collection('exports')
      .countDocuments({ project_id: new ObjectId(projectId) }),
  ).toBe(0);
  expect(
    (
      await request(stack.apiUrl)
        .get(`/api/projects/${projectId}/export`)
        .set(...auth(u))
    ).status,
  ).toBe(404);

  expect(await listKeys(s3.s3, s3.bucket, `users/${u.id}/projects/${keptId}/`)).toEqual([
    `users/${u.id}/projects/${keptId}/code.zip`,
  ]);
  const kept = await request(stack.apiUrl)
    .get(`/api/projects/${keptId}/export`)
    .set(...auth(u));
  expect(kept.status).toBe(200);
  expect((await download(kept.body.download_url)).status).toBe(200);
});

it('streams a ZIP larger than one part through a multipart upload, byte for byte', async () => {
  const u = await registerUser(stack.apiUrl, 'export-big');
  const projectId = await createProject(stack.apiUrl, u.token);
  // Generations from the model are capped at 8 MiB; this one is written directly, as a large
  // project: 16 files of 768 KiB of base64 noise (compresses to ~75 %), so the ZIP spans 2-3 parts.
  const files = Array.from({ length: 16 }, (_, i) => ({
    path: `data/chunk-${i}.txt`,
    content: randomBytes(576 * 1024).toString('base64'),
  }));
  const generationId = new ObjectId();
  await stack.mongo
    .db()
    .collection('generations')
    .insertOne({
      _id: generationId,
      user_id: new ObjectId(u.id),
      project_id: new ObjectId(projectId),
      job_id: null,
      cache_key: `test-${generationId.toHexString()}`,
      description: 'a large project',
      cached: false,
      cost_usd: 0,
      duration_seconds: 0,
      created_at: new Date(),
      files,
      entrypoint: null,
      instructions: null,
      model: 'test',
      provider: 'test',
      usage: { prompt_tokens: 0, completion_tokens: 0 },
      framework: 'html',
      type: 'web_app',
      source_generation_id: generationId.toHexString(),
    });
  const res = await exportZip(u, projectId, { generation_id: generationId.toHexString() }, '?wait=30');
  expect(res.status).toBe(200);
  expect(res.body.size_bytes).toBeGreaterThan(5 * 1024 * 1024);
  const got = await download(res.body.download_url);
  expect(got.body.length).toBe(res.body.size_bytes);
  await expectZipOf(got.body, files);
});
