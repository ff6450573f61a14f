import request from 'supertest';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('authrl', { RATE_LIMIT_REGISTER_PER_HOUR: '5', RATE_LIMIT_LOGIN_PER_MINUTE: '10' });
});
afterAll(() => app.close());

it('allows 5 registrations an hour per IP, then answers 429 with the draft-8 headers', async () => {
  for (let i = 0; i < 5; i++) {
    const res = await request(app.baseUrl)
      .post('/api/auth/register')
      .send({ email: `rl${i}@example.com`, password: 'password-1' });
    expect(res.status).toBe(201);
    expect(res.headers['ratelimit-policy']).toMatch(/^"register"; q=5; w=3600\b/);
  }
  const res = await request(app.baseUrl)
    .post('/api/auth/register')
    .send({ email: 'rl6@example.com', password: 'password-1' });
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('rate_limited');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers.ratelimit).toMatch(/^"register"; r=0; t=\d+$/);
  // Nothing was created by the refused request.
  expect(await app.db.collection('users').countDocuments({ email_lower: 'rl6@example.com' })).toBe(0);
});

it('allows 10 logins a minute per IP, counted in Redis', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    const res = await request(app.baseUrl)
      .post('/api/auth/login')
      .send({ email: 'rl0@example.com', password: 'wrong-password' });
    statuses.push(res.status);
  }
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(statuses[10]).toBe(429);
  const keys = await app.redis.keys(`${app.config.redisKeyPrefix}:rl:login:*`);
  expect(keys.length).toBe(1);
});
