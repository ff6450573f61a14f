import request from 'supertest';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('http', { RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
});
afterAll(() => app.close());

it('answers /healthz and /readyz with every store ok', async () => {
  await request(app.baseUrl).get('/healthz').expect(200, { status: 'ok' });
  const ready = await request(app.baseUrl).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ok', checks: { mongo: 'ok', redis: 'ok', s3: 'ok' } });
});

it("answers unknown routes with the contract's 404 body and a request id", async () => {
  const res = await request(app.baseUrl).get('/api/nothing-here');
  expect(res.status).toBe(404);
  expect(res.body).toEqual({
    error: { code: 'not_found', message: expect.any(String) },
    request_id: res.headers['x-request-id'],
  });
});

it('keeps a sane X-Request-Id and replaces an insane one', async () => {
  const kept = await request(app.baseUrl).get('/healthz').set('X-Request-Id', 'abc-123.DEF');
  expect(kept.headers['x-request-id']).toBe('abc-123.DEF');
  const replaced = await request(app.baseUrl).get('/healthz').set('X-Request-Id', 'bad id <script>');
  expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

it('answers malformed JSON with 400 validation_error', async () => {
  const res = await request(app.baseUrl)
    .post('/api/auth/register')
    .set('Content-Type', 'application/json')
    .send('{"email": ');
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_error');
  expect(JSON.stringify(res.body)).not.toMatch(/SyntaxError|at JSON/);
});

it('answers a body over 1 MiB with 413 payload_too_large', async () => {
  const res = await request(app.baseUrl)
    .post('/api/auth/register')
    .set('Content-Type', 'application/json')
    .send(JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(1024 * 1024 + 10) }));
  expect(res.status).toBe(413);
  expect(res.body.error.code).toBe('payload_too_large');
});

it("sets helmet's security headers and no X-Powered-By", async () => {
  const res = await request(app.baseUrl).get('/healthz');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-powered-by']).toBeUndefined();
});

it('writes one JSON access line per request with route template, never the password', async () => {
  await request(app.baseUrl)
    .post('/api/auth/register')
    .send({ email: 'logged@example.com', password: 'super-secret-pw' })
    .expect(201);
  await request(app.baseUrl)
    .get('/api/projects/0123456789abcdef01234567')
    .set('Authorization', 'Bearer abc.def.ghi')
    .expect(401);
  const entries = app.logs.entries();
  const access = entries.filter((e) => e.message === 'request');
  expect(access).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        service: 'api',
        method: 'POST',
        route: '/api/auth/register',
        status: 201,
        request_id: expect.any(String),
      }),
      expect.objectContaining({ method: 'GET', route: '/api/projects/:id', status: 401 }),
      expect.objectContaining({ method: 'GET', route: 'unmatched', status: 404 }),
    ]),
  );
  expect(app.logs.text()).not.toContain('super-secret-pw');
  expect(app.logs.text()).not.toContain('abc.def.ghi');
});

it('serves Prometheus text at /api/metrics', async () => {
  const res = await request(app.baseUrl).get('/api/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/text\/plain/);
  expect(res.text).toMatch(/^process_cpu_user_seconds_total\{service="api"\} \d/m);
});
