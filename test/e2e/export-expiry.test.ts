import request from 'supertest';
import { createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser } from '../support/users';
import { download } from './export-support';

const TTL_SECONDS = 3;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack('exportttl', { LLM_PROVIDER: 'offline', EXPORT_URL_TTL_SECONDS: String(TTL_SECONDS) });
}, 60_000);
afterAll(() => stack?.stop());

async function until(time: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, time - Date.now())));
}

it('refuses a download URL once it expired (403), and GET /export signs a working one again', async () => {
  const u = await registerUser(stack.apiUrl, 'export-ttl');
  const projectId = await createProject(stack.apiUrl, u.token);
  const res = await generate(stack.apiUrl, u.token, projectId, {
    description: `Short-lived ${Date.now()}`,
    framework: 'html',
  });
  expect((await waitForJob(stack.apiUrl, u.token, res.body.job_id)).status).toBe('completed');

  const exported = await request(stack.apiUrl)
    .post(`/api/projects/${projectId}/export/zip?wait=20`)
    .set('Authorization', `Bearer ${u.token}`)
    .send({});
  expect(exported.status).toBe(200);
  const expiresAt = Date.parse(exported.body.expires_at);
  expect(expiresAt - Date.now()).toBeLessThanOrEqual(TTL_SECONDS * 1000);
  expect(new URL(exported.body.download_url).searchParams.get('X-Amz-Expires')).toBe(String(TTL_SECONDS));
  expect((await download(exported.body.download_url)).status).toBe(200);

  await until(expiresAt + 1500);
  const expired = await download(exported.body.download_url);
  expect(expired.status).toBe(403);
  expect(expired.body.toString()).toContain('Request has expired');

  // The job keeps the URL it was given; GET /export signs a fresh one.
  const fresh = await request(stack.apiUrl)
    .get(`/api/projects/${projectId}/export`)
    .set('Authorization', `Bearer ${u.token}`);
  expect(fresh.status).toBe(200);
  expect(Date.parse(fresh.body.expires_at)).toBeGreaterThan(expiresAt);
  expect((await download(fresh.body.download_url)).status).toBe(200);
});
