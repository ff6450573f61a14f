import { ObjectId } from 'mongodb';
import request from 'supertest';
import { ConfigError, loadConfig } from '@vectort/shared';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('purchase', { RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
});
afterAll(() => app.close());

const purchase = (u: TestUser, body: unknown) =>
  request(app.baseUrl)
    .post('/api/credits/purchase')
    .set(...bearer(u))
    .send(body as object);
const ledgerOf = async (u: TestUser) =>
  (
    await request(app.baseUrl)
      .get('/api/credits?limit=100')
      .set(...bearer(u))
      .expect(200)
  ).body;

it('grants a pack at once with the test provider: balance, ledger entry and stored purchase agree', async () => {
  const u = await registerUser(app.baseUrl, 'buyer');
  const res = await purchase(u, { pack: 'medium' });
  expect(res.status).toBe(201);
  expect(res.body).toEqual({
    balance: 20 + 500,
    purchase: {
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      pack: 'medium',
      credits: 500,
      amount_usd: 20,
      provider: 'test',
      status: 'completed',
      created_at: expect.any(String),
    },
  });
  const id = res.body.purchase.id;

  const credits = await ledgerOf(u);
  expect(credits.balance).toBe(520);
  expect(credits.ledger[0]).toEqual({
    id: `purchase:${id}`,
    delta: 500,
    reason: 'purchase',
    created_at: expect.any(String),
  });
  expect(credits.ledger.map((e: { reason: string }) => e.reason)).toEqual(['purchase', 'signup']);

  const stored = await app.db.collection('purchases').findOne({ _id: new ObjectId(id) });
  expect(stored).toMatchObject({
    user_id: new ObjectId(u.id),
    pack: 'medium',
    credits: 500,
    amount_cents: 2000,
    provider: 'test',
    status: 'completed',
    provider_reference: `test_${id}`,
  });

  const small = await purchase(u, { pack: 'small' });
  const large = await purchase(u, { pack: 'large' });
  expect([small.body.purchase.credits, small.body.purchase.amount_usd, small.body.balance]).toEqual([100, 5, 620]);
  expect([large.body.purchase.credits, large.body.purchase.amount_usd, large.body.balance]).toEqual([2000, 60, 2620]);
  expect(
    (
      await request(app.baseUrl)
        .get('/api/me')
        .set(...bearer(u))
    ).body.credits,
  ).toBe(2620);
});

it('refuses an unknown pack or extra fields with 400 and records nothing', async () => {
  const u = await registerUser(app.baseUrl, 'badpack');
  for (const body of [{ pack: 'huge' }, {}, { pack: 'small', credits: 1_000_000 }, { pack: 'SMALL' }]) {
    const res = await purchase(u, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
  }
  expect(await app.db.collection('purchases').countDocuments({ user_id: new ObjectId(u.id) })).toBe(0);
  expect((await ledgerOf(u)).balance).toBe(20);
});

it('needs a token', async () => {
  const res = await request(app.baseUrl).post('/api/credits/purchase').send({ pack: 'small' });
  expect(res.status).toBe(401);
});

it('allows 20 purchases an hour per user; the 21st is 429 and grants nothing', async () => {
  const u = await registerUser(app.baseUrl, 'hoarder');
  for (let i = 0; i < 20; i++) {
    const res = await purchase(u, { pack: 'small' });
    expect(res.status).toBe(201);
    expect(res.headers['ratelimit-policy']).toMatch(/^"purchase"; q=20; w=3600\b/);
  }
  const refused = await purchase(u, { pack: 'small' });
  expect(refused.status).toBe(429);
  expect(refused.body.error.code).toBe('rate_limited');
  const retryAfter = Number(refused.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(3500);
  expect(retryAfter).toBeLessThanOrEqual(3600);
  expect(refused.headers.ratelimit).toMatch(/^"purchase"; r=0; t=\d+$/);

  expect(await app.db.collection('purchases').countDocuments({ user_id: new ObjectId(u.id) })).toBe(20);
  const credits = await ledgerOf(u);
  expect(credits.balance).toBe(20 + 20 * 100);
  expect(credits.ledger.filter((e: { reason: string }) => e.reason === 'purchase')).toHaveLength(20);

  // Per user: someone else still buys.
  const other = await registerUser(app.baseUrl, 'other-buyer');
  expect((await purchase(other, { pack: 'small' })).status).toBe(201);
  const metrics = await request(app.baseUrl).get('/api/metrics');
  expect(metrics.text).toMatch(/^vectort_rate_limited_total\{(?=[^}]*route="purchase")(?=[^}]*plan="free")[^}]*\} 1$/m);
});

it('holds the hourly limit and the balance under concurrent purchases', async () => {
  const u = await registerUser(app.baseUrl, 'rush');
  const results = await Promise.all(Array.from({ length: 25 }, () => purchase(u, { pack: 'small' })));
  const statuses = results.map((r) => r.status).sort();
  expect(statuses).toEqual([...Array(20).fill(201), ...Array(5).fill(429)]);
  expect(await app.db.collection('purchases').countDocuments({ user_id: new ObjectId(u.id) })).toBe(20);
  const credits = await ledgerOf(u);
  expect(credits.balance).toBe(20 + 20 * 100);
  expect(credits.ledger.filter((e: { reason: string }) => e.reason === 'purchase')).toHaveLength(20);
});

describe('payment provider configuration', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };

  it('uses the test provider only when PAYMENT_PROVIDER=test is named, whatever NODE_ENV says', () => {
    expect(loadConfig({}).payments.provider).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'development' }).payments.provider).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test' }).payments.provider).toBeUndefined();
    expect(loadConfig(production).payments.provider).toBeUndefined();
    expect(loadConfig({ PAYMENT_PROVIDER: 'test' }).payments.provider).toBe('test');
    expect(loadConfig({ ...production, PAYMENT_PROVIDER: 'test' }).payments.provider).toBe('test');
    expect(loadConfig({ NODE_ENV: 'development', PAYMENT_PROVIDER: 'none' }).payments.provider).toBeUndefined();
    expect(() => loadConfig({ PAYMENT_PROVIDER: 'stripe' })).toThrow(ConfigError);
    expect(() => loadConfig({ PAYMENT_PROVIDER: 'stripe' })).toThrow(/PAYMENT_PROVIDER is malformed/);
  });

  it('refuses purchases in production unless PAYMENT_PROVIDER names a provider: 503, nothing granted', async () => {
    const prod = await startTestApp('purchaseprod', {
      ...production,
      PAYMENT_PROVIDER: '',
      RATE_LIMIT_REGISTER_PER_HOUR: '1000',
    });
    try {
      const u = await registerUser(prod.baseUrl, 'prod');
      const res = await request(prod.baseUrl)
        .post('/api/credits/purchase')
        .set(...bearer(u))
        .send({ pack: 'large' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('unavailable');
      expect(res.body.error.message).toMatch(/no payment provider configured \(PAYMENT_PROVIDER\)/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(await prod.db.collection('purchases').countDocuments({})).toBe(0);
      expect(
        (
          await request(prod.baseUrl)
            .get('/api/me')
            .set(...bearer(u))
        ).body.credits,
      ).toBe(20);
    } finally {
      await prod.close();
    }
  });

  it('grants in production only when PAYMENT_PROVIDER=test is set, and warns at start', async () => {
    const prod = await startTestApp('purchaseprodtest', {
      ...production,
      PAYMENT_PROVIDER: 'test',
      RATE_LIMIT_REGISTER_PER_HOUR: '1000',
    });
    try {
      expect(prod.logs.entries().some((e) => e.message === 'payment_test_provider_in_production')).toBe(true);
      const u = await registerUser(prod.baseUrl, 'prodtest');
      const res = await request(prod.baseUrl)
        .post('/api/credits/purchase')
        .set(...bearer(u))
        .send({ pack: 'small' });
      expect(res.status).toBe(201);
      expect(res.body.balance).toBe(120);
    } finally {
      await prod.close();
    }
  });
});
