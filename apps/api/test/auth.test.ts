import jwt from 'jsonwebtoken';
import request from 'supertest';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { grantAdmin } from '../../../test/support/admin';
import { bearer, registerUser } from '../../../test/support/users';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('auth', { RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
});
afterAll(() => app.close());

describe('register, login, me', () => {
  it('registers a user with the free plan and its starting credits, and returns a working token', async () => {
    const res = await request(app.baseUrl)
      .post('/api/auth/register')
      .send({ email: 'Ada@Example.com', password: 'a long password', full_name: 'Ada' });
    expect(res.status).toBe(201);
    expect(res.body.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      email: 'Ada@Example.com',
      full_name: 'Ada',
      plan: 'free',
      credits: 20,
      is_admin: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(res.body.user).not.toHaveProperty('password_hash');

    const me = await request(app.baseUrl)
      .get('/api/me')
      .set(...bearer(res.body));
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('stores only an argon2id hash of the password', async () => {
    const user = await registerUser(app.baseUrl, 'hash');
    const doc = await app.db.collection('users').findOne({ email_lower: user.email.toLowerCase() });
    expect(doc?.password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(doc)).not.toContain(user.password);
  });

  it('refuses a duplicate email, whatever its case, with 409', async () => {
    await request(app.baseUrl)
      .post('/api/auth/register')
      .send({ email: 'dup@example.com', password: 'password-1' })
      .expect(201);
    const res = await request(app.baseUrl)
      .post('/api/auth/register')
      .send({ email: 'DUP@Example.COM', password: 'password-2' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
  });

  it('logs in with the right password (any email case) and refuses a wrong one with 401', async () => {
    const user = await registerUser(app.baseUrl, 'login');
    const ok = await request(app.baseUrl)
      .post('/api/auth/login')
      .send({ email: user.email.toUpperCase(), password: user.password });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);
    await request(app.baseUrl)
      .get('/api/me')
      .set(...bearer(ok.body))
      .expect(200);

    const wrong = await request(app.baseUrl)
      .post('/api/auth/login')
      .send({ email: user.email, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    const unknown = await request(app.baseUrl)
      .post('/api/auth/login')
      .send({ email: 'nobody@example.com', password: 'whatever1' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
  });

  it.each([
    ['no body', undefined, ['email', 'password']],
    ['a bad email', { email: 'not-an-email', password: 'password-1' }, ['email']],
    ['a short password', { email: 'short@example.com', password: 'short' }, ['password']],
    ['a long password', { email: 'long@example.com', password: 'x'.repeat(129) }, ['password']],
    ['a client-chosen plan', { email: 'plan@example.com', password: 'password-1', plan: 'enterprise' }, ['plan']],
  ])('rejects %s with 400 and field details', async (_label, body, fields) => {
    const res = await request(app.baseUrl)
      .post('/api/auth/register')
      .send(body as object);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(fields);
  });
});

describe('tokens', () => {
  const secret = 'test-secret-test-secret-test-secret-0123';

  it.each([
    ['no header', undefined],
    ['a malformed header', 'Token abc'],
    ['garbage', 'Bearer not.a.jwt'],
  ])('answers 401 for %s', async (_label, header) => {
    const req = request(app.baseUrl).get('/api/me');
    if (header) req.set('Authorization', header);
    const res = await req;
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('answers 401 for a tampered token', async () => {
    const user = await registerUser(app.baseUrl, 'tamper');
    const [header, payload, signature] = user.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.sub = '000000000000000000000000';
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await request(app.baseUrl).get('/api/me').set('Authorization', `Bearer ${forged}`).expect(401);

    const otherKey = jwt.sign({}, 'another-secret-another-secret-another-1', {
      subject: user.id,
      issuer: 'vectort',
      audience: 'vectort-api',
      expiresIn: 60,
    });
    await request(app.baseUrl).get('/api/me').set('Authorization', `Bearer ${otherKey}`).expect(401);

    const none = jwt.sign({ sub: user.id, iss: 'vectort', aud: 'vectort-api' }, '', { algorithm: 'none' });
    await request(app.baseUrl).get('/api/me').set('Authorization', `Bearer ${none}`).expect(401);
  });

  it('answers 401 for an expired token and says so', async () => {
    const user = await registerUser(app.baseUrl, 'expired');
    const expired = jwt.sign({ exp: Math.floor(Date.now() / 1000) - 10 }, secret, {
      subject: user.id,
      issuer: 'vectort',
      audience: 'vectort-api',
    });
    const res = await request(app.baseUrl).get('/api/me').set('Authorization', `Bearer ${expired}`);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/i);
  });
});

describe('admin user updates', () => {
  it('lets a user with the stored admin flag change plan and credits, and nobody else', async () => {
    const target = await registerUser(app.baseUrl, 'target');
    const admin = await request(app.baseUrl)
      .post('/api/auth/register')
      .send({ email: 'boss@example.com', password: 'password-boss' });
    expect(admin.body.user.is_admin).toBe(false);
    await grantAdmin(app, 'Boss@Example.com');

    const denied = await request(app.baseUrl)
      .patch(`/api/admin/users/${target.id}`)
      .set(...bearer(target))
      .send({ plan: 'pro' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');

    const res = await request(app.baseUrl)
      .patch(`/api/admin/users/${target.id}`)
      .set(...bearer(admin.body))
      .send({ plan: 'pro', credits: 2000 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: target.id, plan: 'pro', credits: 2000 });
    const me = await request(app.baseUrl)
      .get('/api/me')
      .set(...bearer(target));
    expect(me.body).toMatchObject({ plan: 'pro', credits: 2000 });

    const bad = await request(app.baseUrl)
      .patch(`/api/admin/users/${target.id}`)
      .set(...bearer(admin.body))
      .send({ plan: 'platinum' });
    expect(bad.status).toBe(400);
    const missing = await request(app.baseUrl)
      .patch('/api/admin/users/0123456789abcdef01234567')
      .set(...bearer(admin.body))
      .send({ credits: 1 });
    expect(missing.status).toBe(404);
  });
});
