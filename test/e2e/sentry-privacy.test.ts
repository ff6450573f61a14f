import request from 'supertest';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry';
import { createProject } from '../support/http';
import { PrivateRedis } from '../support/private-redis';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';

// Issue 11, finding 4: during a Redis blip a login's 503 went to Sentry with the request body
// ({"email":…,"password":…}) and the client IP. Now no body, cookie, header or IP ever leaves.
let sentry: FakeSentry;
let redis: PrivateRedis;
let stack: Stack;
let user: TestUser;
let projectId: string;
const PASSWORD = 'Sentry-must-never-see-this-9f3c';
const COOKIE = 'session=cookie-value-never-sent-41d2';

beforeAll(async () => {
  sentry = await startFakeSentry();
  redis = new PrivateRedis();
  await redis.start();
  stack = await startStack(
    'sentrypriv',
    { REDIS_URL: redis.url, SENTRY_DSN: sentry.dsn, SENTRY_TRACES_SAMPLE_RATE: '1', TRUST_PROXY: 'loopback' },
    0,
  );
  user = await registerUser(stack.apiUrl, 'sentry');
  projectId = await createProject(stack.apiUrl, user.token);
  await redis.stop();
}, 60_000);

afterAll(async () => {
  await redis?.start(); // the stack's own cleanup reads Redis
  await stack?.stop().catch(() => undefined);
  await redis?.destroy();
  await sentry?.close();
});

async function eventually<T>(fn: () => T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    v = fn();
  }
  return v;
}

it('reports a 503 during login without the password, body, cookies, headers or IP (finding 4)', async () => {
  const res = await request(stack.apiUrl)
    .post('/api/auth/login')
    .set('Cookie', COOKIE)
    .set('X-Forwarded-For', '203.0.113.77')
    .send({ email: user.email, password: PASSWORD });
  expect(res.status).toBe(503);

  const events = await eventually(
    () => sentry.errorEvents().filter((e) => e.tags?.route === '/api/auth/login'),
    (e) => e.length > 0,
  );
  expect(events).toHaveLength(1);
  const event = events[0];
  expect(event.tags).toMatchObject({ service: 'api', error_code: 'unavailable' });
  expect(event.request?.data).toBeUndefined();
  expect(event.request?.cookies).toBeUndefined();
  expect(event.request?.headers).toBeUndefined();
  expect(event.user?.ip_address).toBeUndefined();

  // Nothing anywhere in what was posted: errors, transactions, breadcrumbs.
  const everything = JSON.stringify(sentry.envelopes);
  for (const secret of [PASSWORD, 'cookie-value-never-sent', '203.0.113.77', user.token]) {
    expect(everything).not.toContain(secret);
  }
});

it("keeps the user's id and email on 503s of authenticated requests, and nothing of their headers or bodies", async () => {
  // A forced generation loads the user, then needs Redis for the project's owner: 503.
  const res = await request(stack.apiUrl)
    .post(`/api/projects/${projectId}/generate`)
    .set('Authorization', `Bearer ${user.token}`)
    .set('Cookie', COOKIE)
    .send({ description: `a description holding ${PASSWORD}`, force_regenerate: true });
  expect(res.status).toBe(503);
  const events = await eventually(
    () => sentry.errorEvents().filter((e) => e.tags?.route === '/api/projects/:id/generate'),
    (e) => e.length > 0,
  );
  expect(events).toHaveLength(1);
  // The hit path had not loaded the user yet: its id only.
  expect(events[0].user).toEqual({ id: user.id });

  // Once the user is loaded, the email goes too (and nothing else of the user).
  const purchase = await request(stack.apiUrl)
    .post('/api/credits/purchase')
    .set('Authorization', `Bearer ${user.token}`)
    .set('Cookie', COOKIE)
    .send({ pack: 'small' });
  expect(purchase.status).toBe(503);
  const purchaseEvents = await eventually(
    () => sentry.errorEvents().filter((e) => e.tags?.route === '/api/credits/purchase'),
    (e) => e.length > 0,
  );
  expect(purchaseEvents[0].user).toEqual({ id: user.id, email: user.email });
  const everything = JSON.stringify(sentry.envelopes);
  expect(everything).not.toContain(user.token);
  expect(everything).not.toContain('cookie-value-never-sent');
  expect(everything).not.toContain(PASSWORD);
});
