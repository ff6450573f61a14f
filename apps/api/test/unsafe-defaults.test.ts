import request from 'supertest';
import { startTestApp } from '../../../test/support/test-app';
import { bearer, registerUser } from '../../../test/support/users';

// Issue 11, finding 9: with NODE_ENV unset the test payment provider granted free credits and
// /api/metrics was public.
describe('no payment provider unless one is named (finding 9)', () => {
  it.each([
    ['NODE_ENV unset', { NODE_ENV: '' }],
    ['NODE_ENV=development', { NODE_ENV: 'development' }],
    ['NODE_ENV=test', { NODE_ENV: 'test' }],
  ])('with %s and PAYMENT_PROVIDER unset a purchase is 503 and grants nothing', async (_label, env) => {
    const app = await startTestApp('nopay', { ...env, PAYMENT_PROVIDER: '', RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
    try {
      const u = await registerUser(app.baseUrl, 'nopay');
      const res = await request(app.baseUrl)
        .post('/api/credits/purchase')
        .set(...bearer(u))
        .send({ pack: 'large' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('unavailable');
      expect(await app.db.collection('purchases').countDocuments({})).toBe(0);
      const me = await request(app.baseUrl)
        .get('/api/me')
        .set(...bearer(u));
      expect(me.body.credits).toBe(20);
    } finally {
      await app.close();
    }
  });
});

describe('metrics in production (finding 9)', () => {
  const production = { NODE_ENV: 'production', PAYMENT_PROVIDER: '' };

  it('answers 404 for /api/metrics in production without METRICS_TOKEN', async () => {
    const app = await startTestApp('metricsprod', production);
    try {
      const res = await request(app.baseUrl).get('/api/metrics');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect(res.text).not.toContain('# HELP');
    } finally {
      await app.close();
    }
  });

  it('serves /api/metrics in production only with Bearer METRICS_TOKEN', async () => {
    const app = await startTestApp('metricsprodtok', { ...production, METRICS_TOKEN: 'a-metrics-token-for-tests' });
    try {
      expect((await request(app.baseUrl).get('/api/metrics')).status).toBe(401);
      const ok = await request(app.baseUrl)
        .get('/api/metrics')
        .set('Authorization', 'Bearer a-metrics-token-for-tests');
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('# HELP');
    } finally {
      await app.close();
    }
  });

  it('stays open outside production without a token, as before', async () => {
    const app = await startTestApp('metricsdev', { NODE_ENV: 'development' });
    try {
      expect((await request(app.baseUrl).get('/api/metrics')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
