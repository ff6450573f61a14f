import { ObjectId } from 'mongodb';
import request from 'supertest';
import { Collections, webhookSigningKey, type WebhookDeliveryDocument } from '@vectort/shared';
import { createProject, generate } from '../../../test/support/http';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

let app: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  app = await startTestApp('webhooks', {
    RATE_LIMIT_REGISTER_PER_HOUR: '1000',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false',
  });
  alice = await registerUser(app.baseUrl, 'alice');
  bob = await registerUser(app.baseUrl, 'bob');
});
afterAll(() => app?.close());

describe('webhook secret', () => {
  it('is created on first read, stays the same, differs per user, and rotates', async () => {
    const first = await request(app.baseUrl)
      .get('/api/webhooks/secret')
      .set(...bearer(alice));
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body).toEqual({ secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+={0,2}$/) });
    expect(webhookSigningKey(first.body.secret).length).toBeGreaterThanOrEqual(24);

    const again = await request(app.baseUrl)
      .get('/api/webhooks/secret')
      .set(...bearer(alice));
    expect(again.body.secret).toBe(first.body.secret);
    const bobs = await request(app.baseUrl)
      .get('/api/webhooks/secret')
      .set(...bearer(bob));
    expect(bobs.body.secret).not.toBe(first.body.secret);

    const rotated = await request(app.baseUrl)
      .post('/api/webhooks/secret/rotate')
      .set(...bearer(alice));
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(first.body.secret);
    const after = await request(app.baseUrl)
      .get('/api/webhooks/secret')
      .set(...bearer(alice));
    expect(after.body.secret).toBe(rotated.body.secret);
    // Bob's is untouched.
    expect(
      (
        await request(app.baseUrl)
          .get('/api/webhooks/secret')
          .set(...bearer(bob))
      ).body.secret,
    ).toBe(bobs.body.secret);
    // Never written to the logs.
    expect(app.logs.text()).not.toContain(first.body.secret.slice(6));
    expect(app.logs.text()).not.toContain(rotated.body.secret.slice(6));
  });

  it('needs a token', async () => {
    const res = await request(app.baseUrl).get('/api/webhooks/secret');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    await request(app.baseUrl).post('/api/webhooks/secret/rotate').expect(401);
    await request(app.baseUrl).get('/api/webhooks/deliveries').expect(401);
  });
});

describe('GET /api/webhooks/deliveries', () => {
  it("lists the caller's own deliveries, newest first, up to limit", async () => {
    const deliveries = app.db.collection<WebhookDeliveryDocument>(Collections.webhookDeliveries);
    const aliceId = new ObjectId(alice.id);
    const base = Date.now() - 60_000;
    const doc = (n: number, userId: ObjectId): WebhookDeliveryDocument => ({
      _id: `msg_${new ObjectId().toHexString()}_generation_completed`,
      user_id: userId,
      job_id: new ObjectId(),
      event_type: 'generation.completed',
      url: `https://hooks.example.com/${n}`,
      status: n === 2 ? 'pending' : 'delivered',
      attempts: n,
      last_status_code: n === 2 ? 500 : 200,
      last_error: n === 2 ? 'receiver answered 500' : null,
      next_attempt_at: n === 2 ? new Date(base + 120_000) : null,
      attempt_log: [{ attempt: 1, at: new Date(base), status_code: 200, error: null, duration_ms: 5 }],
      created_at: new Date(base + n * 1000),
      updated_at: new Date(base + n * 1000),
    });
    const mine = [doc(1, aliceId), doc(2, aliceId), doc(3, aliceId)];
    await deliveries.insertMany([...mine, doc(4, new ObjectId(bob.id))]);

    const res = await request(app.baseUrl)
      .get('/api/webhooks/deliveries')
      .set(...bearer(alice));
    expect(res.status).toBe(200);
    expect(res.body.items.map((d: { url: string }) => d.url)).toEqual(
      [3, 2, 1].map((n) => `https://hooks.example.com/${n}`),
    );
    expect(res.body.items[1]).toEqual({
      id: mine[1]!._id,
      event_type: 'generation.completed',
      url: 'https://hooks.example.com/2',
      status: 'pending',
      attempts: 2,
      last_status_code: 500,
      last_error: 'receiver answered 500',
      next_attempt_at: new Date(base + 120_000).toISOString(),
      created_at: new Date(base + 2000).toISOString(),
    });

    const limited = await request(app.baseUrl)
      .get('/api/webhooks/deliveries?limit=1')
      .set(...bearer(alice));
    expect(limited.body.items.map((d: { id: string }) => d.id)).toEqual([mine[2]!._id]);
    const bobs = await request(app.baseUrl)
      .get('/api/webhooks/deliveries')
      .set(...bearer(bob));
    expect(bobs.body.items.map((d: { url: string }) => d.url)).toEqual(['https://hooks.example.com/4']);

    const bad = await request(app.baseUrl)
      .get('/api/webhooks/deliveries?limit=0')
      .set(...bearer(alice));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_error');
  });
});

describe('webhook_url at submit, private networks not allowed', () => {
  let projectId: string;
  let counter = 0;
  beforeAll(async () => {
    projectId = await createProject(app.baseUrl, alice.token);
  });
  const submit = (webhook_url: string) =>
    generate(app.baseUrl, alice.token, projectId, {
      description: `webhook check ${++counter} ${Date.now()}`,
      webhook_url,
    });

  // Each target over http and https: http is refused for its scheme, https for its address.
  const targets = [
    '127.0.0.1',
    '10.0.0.1',
    '169.254.169.254',
    '[::ffff:127.0.0.1]',
    '0x7f000001',
    '2130706433',
    '0177.0.0.1',
    'localhost',
    '[::1]',
    '100.64.0.1',
    '[fd00::1]',
  ];
  it.each(targets.flatMap((host) => [`http://${host}/hook`, `https://${host}/hook`, `https://${host}:8443/hook?x=1`]))(
    'refuses %s with 400',
    async (url) => {
      const res = await submit(url);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details).toEqual([{ field: 'webhook_url', message: expect.any(String) }]);
      if (url.startsWith('https:')) expect(res.body.error.details[0].message).toMatch(/(address|resolve)/);
    },
  );

  it('accepts an https URL on a public address', async () => {
    const res = await submit('https://93.184.215.14/hooks/vectort');
    expect(res.status).toBe(202);
    const job = await app.db.collection(Collections.jobs).findOne({ _id: new ObjectId(res.body.job_id as string) });
    expect(job?.webhook_url).toBe('https://93.184.215.14/hooks/vectort');
  });
});

describe('webhook_url at submit, private networks allowed', () => {
  let open: TestApp;
  afterAll(() => open?.close());

  it('accepts loopback over http', async () => {
    open = await startTestApp('webhooksopen', { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    const user = await registerUser(open.baseUrl, 'open');
    const projectId = await createProject(open.baseUrl, user.token);
    const res = await generate(open.baseUrl, user.token, projectId, {
      description: `local hook ${Date.now()}`,
      webhook_url: 'http://127.0.0.1:9/hook',
    });
    expect(res.status).toBe(202);
    const bad = await generate(open.baseUrl, user.token, projectId, {
      description: `local hook ${Date.now()}`,
      webhook_url: 'ftp://127.0.0.1/hook',
    });
    expect(bad.status).toBe(400);
  });
});
