import request from 'supertest';
import { ConfigError, loadConfig } from '@vectort/shared';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

// Issue 11, finding 7 (first half): Bull Board's Basic auth had no limit on failures, and any
// password was accepted in production.
const USER = 'ops';
const PASSWORD = 'a-long-admin-password-for-tests';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Bull Board brute force', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('boardlock', { ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: 'loopback' });
  });
  afterAll(() => app?.close());

  const board = (authorization: string | undefined, ip: string) => {
    const req = request(app.baseUrl).get('/admin/queues').set('X-Forwarded-For', ip);
    return authorization ? req.set('Authorization', authorization) : req;
  };

  it('answers 429 to an address after 10 wrong credentials, even with the right ones, and not to others', async () => {
    const attacker = '203.0.113.50';
    // A browser's first request carries no credentials: that is not a failure.
    for (let i = 0; i < 3; i++) expect((await board(undefined, attacker)).status).toBe(401);
    for (let i = 0; i < 10; i++) expect((await board(basic(USER, `guess-${i}`), attacker)).status).toBe(401);
    const locked = await board(basic(USER, PASSWORD), attacker);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(locked.headers['ratelimit-policy']).toBe('"admin-login-failures"; q=10; w=900');
    expect((await request(app.baseUrl).get('/admin/queues/api/queues').set('X-Forwarded-For', attacker)).status).toBe(
      429,
    );

    const operator = await board(basic(USER, PASSWORD), '198.51.100.5');
    expect(operator.status).toBe(200);
    expect(operator.text).toContain('<');
  });
});

describe('ADMIN_PASSWORD in production', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), ADMIN_USER: USER };

  it('refuses to start with a password under 12 characters, naming it in one line', () => {
    let error: unknown;
    try {
      loadConfig({ ...production, ADMIN_PASSWORD: 'elevenchars' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Invalid configuration: ADMIN_PASSWORD must be at least 12 characters when NODE_ENV=production',
    );
  });

  it('accepts 12 characters in production, and a short one outside production', () => {
    expect(loadConfig({ ...production, ADMIN_PASSWORD: 'twelve-chars' }).adminPassword).toBe('twelve-chars');
    expect(loadConfig({ ADMIN_USER: USER, ADMIN_PASSWORD: 'short' }).adminPassword).toBe('short');
  });
});
