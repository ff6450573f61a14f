import request from 'supertest';

/** Polls `GET /api/jobs/:id?wait=` until the job ends (or `timeoutMs`), returning the last status object. */
export async function waitForJob(
  apiUrl: string,
  token: string,
  jobId: string,
  timeoutMs = 30_000,
): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  let body: Record<string, any> = {};
  while (Date.now() < deadline) {
    const wait = Math.min(10, Math.max(1, Math.floor((deadline - Date.now()) / 1000)));
    const res = await request(apiUrl).get(`/api/jobs/${jobId}?wait=${wait}`).set('Authorization', `Bearer ${token}`);
    if (res.status !== 200) throw new Error(`job poll answered ${res.status}: ${JSON.stringify(res.body)}`);
    body = res.body;
    if (body.status === 'completed' || body.status === 'failed' || body.status === 'cancelled') return body;
  }
  throw new Error(`job ${jobId} still ${body.status} after ${timeoutMs} ms`);
}

export async function createProject(apiUrl: string, token: string, name = 'Project'): Promise<string> {
  const res = await request(apiUrl).post('/api/projects').set('Authorization', `Bearer ${token}`).send({ name });
  if (res.status !== 201) throw new Error(`create project answered ${res.status}`);
  return res.body.id;
}

export function generate(
  apiUrl: string,
  token: string,
  projectId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return request(apiUrl)
    .post(`/api/projects/${projectId}/generate`)
    .set('Authorization', `Bearer ${token}`)
    .set(headers)
    .send(body);
}

export async function balance(apiUrl: string, token: string): Promise<number> {
  const res = await request(apiUrl).get('/api/me').set('Authorization', `Bearer ${token}`);
  return res.body.credits;
}
