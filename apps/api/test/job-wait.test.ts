import request from 'supertest';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser } from '../../../test/support/users';

// Found by schemathesis: a fractional `wait` reached AbortSignal.timeout, which throws on a
// non-integer delay, and the long-poll answered 500.
describe('long-poll with a fractional wait', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('jobwait'); // no worker: the job stays queued
  });
  afterAll(() => app?.close());

  it('GET /api/jobs/{id}?wait=0.3337 waits and answers the status, not 500', async () => {
    const user = await registerUser(app.baseUrl, 'jobwait');
    const project = await request(app.baseUrl)
      .post('/api/projects')
      .set(...bearer(user))
      .send({ name: 'p' });
    const submitted = await request(app.baseUrl)
      .post(`/api/projects/${project.body.id}/generate`)
      .set(...bearer(user))
      .send({ description: 'a long-poll target' });
    expect(submitted.status).toBe(202);
    const started = Date.now();
    const res = await request(app.baseUrl)
      .get(`/api/jobs/${submitted.body.job_id}?wait=0.3337`)
      .set(...bearer(user));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('queued');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});
