import request from 'supertest';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { registerUser, type TestUser } from '../../../test/support/users';

// Issue 11, finding 6: the login limit was keyed on the IP alone, so a forged X-Forwarded-For
// (TRUST_PROXY on, port reachable) gave unlimited guesses, and behind a proxy with it off every
// client shared one bucket. Now: 10 failures per 15 minutes per (email, client IP).
const login = (app: TestApp, email: string, password: string, forwardedFor?: string) => {
  const req = request(app.baseUrl).post('/api/auth/login');
  if (forwardedFor) req.set('X-Forwarded-For', forwardedFor);
  return req.send({ email, password });
};

function expectLockedOut(res: request.Response): void {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  // The 15-minute window, not the 1-minute per-IP limiter's.
  expect(retryAfter).toBeGreaterThan(800);
  expect(retryAfter).toBeLessThanOrEqual(900);
  expect(res.headers['ratelimit-policy']).toBe('"login-failures"; q=10; w=900');
  expect(res.headers.ratelimit).toMatch(/^"login-failures"; r=0; t=\d+$/);
}

describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
  let app: TestApp;
  let victim: TestUser;
  beforeAll(async () => {
    app = await startTestApp('lockproxy', {
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      RATE_LIMIT_REGISTER_PER_HOUR: '1000',
    });
    victim = await registerUser(app.baseUrl, 'victim');
  });
  afterAll(() => app.close());

  it('locks out one (email, IP) pair after 10 failures, even for the right password, and no one else', async () => {
    const guesser = '203.0.113.7';
    for (let i = 0; i < 10; i++) expect((await login(app, victim.email, `guess-${i}`, guesser)).status).toBe(401);
    expectLockedOut(await login(app, victim.email, 'guess-10', guesser));
    expectLockedOut(await login(app, victim.email.toUpperCase(), victim.password, guesser));

    // The owner, from another address, still logs in; the guesser's address is not banned outright.
    expect((await login(app, victim.email, victim.password, '198.51.100.20')).status).toBe(200);
    const other = await registerUser(app.baseUrl, 'other');
    expect((await login(app, other.email, other.password, guesser)).status).toBe(200);
  });

  it('clears the count on a successful login', async () => {
    const u = await registerUser(app.baseUrl, 'forgetful');
    const ip = '203.0.113.9';
    for (let i = 0; i < 9; i++) expect((await login(app, u.email, 'wrong', ip)).status).toBe(401);
    expect((await login(app, u.email, u.password, ip)).status).toBe(200);
    for (let i = 0; i < 9; i++) expect((await login(app, u.email, 'wrong', ip)).status).toBe(401);
    expect((await login(app, u.email, u.password, ip)).status).toBe(200);
  });
});

describe('exposed directly (TRUST_PROXY=false, the default)', () => {
  let app: TestApp;
  let victim: TestUser;
  beforeAll(async () => {
    app = await startTestApp('lockdirect', {
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      RATE_LIMIT_REGISTER_PER_HOUR: '1000',
    });
    victim = await registerUser(app.baseUrl, 'victim');
  });
  afterAll(() => app.close());

  it('ignores forged X-Forwarded-For: rotating it gives no extra guesses', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await login(app, victim.email, `guess-${i}`, `192.0.2.${i + 1}`)).status).toBe(401);
    }
    expectLockedOut(await login(app, victim.email, 'guess-10', '192.0.2.200'));
    expectLockedOut(await login(app, victim.email, victim.password));
  });

  it('counts a wrong current password on POST /api/auth/password like a failed login', async () => {
    const u = await registerUser(app.baseUrl, 'stolen');
    for (let i = 0; i < 10; i++) {
      const res = await request(app.baseUrl)
        .post('/api/auth/password')
        .set('Authorization', `Bearer ${u.token}`)
        .send({ current_password: `guess-${i}`, new_password: 'attacker password' });
      expect(res.status).toBe(401);
    }
    expectLockedOut(await login(app, u.email, u.password));
  });
});
