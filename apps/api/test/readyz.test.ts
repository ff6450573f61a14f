import request from 'supertest';
import { PrivateRedis } from '../../../test/support/private-redis';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

let redis: PrivateRedis;
let app: TestApp;

beforeAll(async () => {
  redis = new PrivateRedis();
  await redis.start();
  app = await startTestApp('readyz', { REDIS_URL: redis.url });
});
afterAll(async () => {
  await app.close();
  await redis.destroy();
});

async function waitForStatus(status: number, timeoutMs = 15000): Promise<request.Response> {
  const deadline = Date.now() + timeoutMs;
  let res: request.Response;
  do {
    res = await request(app.baseUrl).get('/readyz');
    if (res.status === status) return res;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < deadline);
  return res;
}

it('answers 503 naming Redis while it is stopped, and 200 again once it is back', async () => {
  expect((await request(app.baseUrl).get('/readyz')).status).toBe(200);

  await redis.stop();
  const down = await waitForStatus(503);
  expect(down.status).toBe(503);
  expect(down.headers['retry-after']).toBeDefined();
  expect(down.body.error.code).toBe('unavailable');
  expect(down.body.error.details).toEqual({ mongo: 'ok', redis: 'fail', s3: 'ok' });
  expect(down.body.error.message).toContain('redis');
  // Liveness is not readiness: the process still runs.
  await request(app.baseUrl).get('/healthz').expect(200);
  // A Redis-backed limiter fails closed: register is refused, nothing is created.
  const register = await request(app.baseUrl)
    .post('/api/auth/register')
    .send({ email: 'down@example.com', password: 'password-1' });
  expect(register.status).toBe(503);
  expect(await app.db.collection('users').countDocuments({})).toBe(0);

  await redis.start();
  const up = await waitForStatus(200);
  expect(up.status).toBe(200);
  expect(up.body.checks).toEqual({ mongo: 'ok', redis: 'ok', s3: 'ok' });
});
