import type { Redis } from 'ioredis';
import request from 'supertest';
import { createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';

// Issue 11, finding 13: tokens could not be revoked. Logout revokes the token used; a password
// change revokes every earlier token; a revoked token gets 401 everywhere, the token-only fast
// paths (cache hit, job poll, event stream) included, and losing Redis does not un-revoke.
let stack: Stack;
let owner: TestUser;
let projectId: string;
let jobId: string;
const description = `A revocable todo app ${Date.now()}`;

beforeAll(async () => {
  stack = await startStack('revoke', { LLM_PROVIDER: 'offline', RATE_LIMIT_LOGIN_PER_MINUTE: '1000' });
  owner = await registerUser(stack.apiUrl, 'revoke');
  projectId = await createProject(stack.apiUrl, owner.token);
  const miss = await generate(stack.apiUrl, owner.token, projectId, { description });
  jobId = miss.body.job_id;
  expect((await waitForJob(stack.apiUrl, owner.token, jobId)).status).toBe('completed');
}, 90_000);
afterAll(() => stack?.stop());

async function login(email: string, password: string): Promise<string> {
  const res = await request(stack.apiUrl).post('/api/auth/login').send({ email, password });
  expect(res.status).toBe(200);
  return res.body.token;
}

const as = (token: string) => ['Authorization', `Bearer ${token}`] as const;

/** Every kind of route, fast paths first: the status each answers for `token`. */
async function statuses(token: string): Promise<Record<string, number>> {
  const api = () => request(stack.apiUrl);
  return {
    hit: (await generate(stack.apiUrl, token, projectId, { description })).status,
    hit_replay: (
      await generate(stack.apiUrl, token, projectId, { description }, { 'Idempotency-Key': `k-${token.slice(-12)}` })
    ).status,
    force: (
      await generate(stack.apiUrl, token, projectId, { description: 'x', force_regenerate: true, framework: 'nope' })
    ).status,
    poll: (
      await api()
        .get(`/api/jobs/${jobId}`)
        .set(...as(token))
    ).status,
    long_poll: (
      await api()
        .get(`/api/jobs/${jobId}?wait=1`)
        .set(...as(token))
    ).status,
    events: (
      await api()
        .get(`/api/jobs/${jobId}/events`)
        .set(...as(token))
    ).status,
    bad_job_id: (
      await api()
        .get('/api/jobs/not-an-id')
        .set(...as(token))
    ).status,
    me: (
      await api()
        .get('/api/me')
        .set(...as(token))
    ).status,
    projects: (
      await api()
        .get('/api/projects')
        .set(...as(token))
    ).status,
    credits: (
      await api()
        .get('/api/credits')
        .set(...as(token))
    ).status,
    logout: -1,
  };
}

const ALLOWED = {
  hit: 200,
  hit_replay: 200,
  force: 400,
  poll: 200,
  long_poll: 200,
  events: 200,
  bad_job_id: 404,
  me: 200,
  projects: 200,
  credits: 200,
  logout: -1,
};
const REVOKED = Object.fromEntries(Object.keys(ALLOWED).map((k) => [k, k === 'logout' ? -1 : 401]));

describe('logout (finding 13)', () => {
  it('revokes the token used, on every route including the fast paths, and no other token', async () => {
    const kept = await login(owner.email, owner.password);
    const leaving = await login(owner.email, owner.password);
    expect(await statuses(leaving)).toEqual(ALLOWED);

    const out = await request(stack.apiUrl)
      .post('/api/auth/logout')
      .set(...as(leaving));
    expect(out.status).toBe(204);
    expect(out.text).toBe('');

    expect(await statuses(leaving)).toEqual(REVOKED);
    const body = (
      await request(stack.apiUrl)
        .get('/api/me')
        .set(...as(leaving))
    ).body;
    expect(body.error).toEqual({ code: 'unauthorized', message: 'Token revoked' });
    expect(
      (
        await request(stack.apiUrl)
          .post('/api/auth/logout')
          .set(...as(leaving))
      ).status,
    ).toBe(401);
    expect(await statuses(kept)).toEqual(ALLOWED);
  });
});

describe('password change (finding 13)', () => {
  it('refuses a wrong current password and keeps every token; a right one revokes every earlier token', async () => {
    const u = await registerUser(stack.apiUrl, 'pwchange');
    const project = await createProject(stack.apiUrl, u.token);
    const second = await login(u.email, u.password);
    const change = (token: string, body: object) =>
      request(stack.apiUrl)
        .post('/api/auth/password')
        .set(...as(token))
        .send(body);

    const wrong = await change(second, { current_password: 'not it at all', new_password: 'a new long password' });
    expect(wrong.status).toBe(401);
    expect((await change(second, { current_password: u.password })).status).toBe(400);
    expect((await change(second, { current_password: u.password, new_password: 'short' })).status).toBe(400);
    expect(
      (
        await request(stack.apiUrl)
          .get('/api/me')
          .set(...as(u.token))
      ).status,
    ).toBe(200);

    const ok = await change(second, { current_password: u.password, new_password: 'a new long password' });
    expect(ok.status).toBe(204);
    for (const token of [u.token, second]) {
      expect(
        (
          await request(stack.apiUrl)
            .get('/api/me')
            .set(...as(token))
        ).status,
      ).toBe(401);
      expect((await generate(stack.apiUrl, token, project, { description })).status).toBe(401);
      expect(
        (
          await request(stack.apiUrl)
            .get(`/api/jobs/${jobId}`)
            .set(...as(token))
        ).status,
      ).toBe(401);
    }
    expect(
      (await request(stack.apiUrl).post('/api/auth/login').send({ email: u.email, password: u.password })).status,
    ).toBe(401);
    // A login right after the change (same second, often) gets a token that works.
    const fresh = await login(u.email, 'a new long password');
    expect(
      (
        await request(stack.apiUrl)
          .get('/api/me')
          .set(...as(fresh))
      ).status,
    ).toBe(200);
    const hit = await generate(stack.apiUrl, fresh, project, { description });
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
  });
});

describe('durability and cost of the check (finding 13)', () => {
  it('keeps revoked tokens revoked when Redis loses its revocation entries (MongoDB answers and refills)', async () => {
    const u = await registerUser(stack.apiUrl, 'durable');
    const loggedOut = await login(u.email, u.password);
    const live = await login(u.email, u.password);
    await request(stack.apiUrl)
      .post('/api/auth/logout')
      .set(...as(loggedOut))
      .expect(204);
    const v = await registerUser(stack.apiUrl, 'durable2');
    const beforeChange = v.token;
    await request(stack.apiUrl)
      .post('/api/auth/password')
      .set(...as(v.token))
      .send({ current_password: v.password, new_password: 'another long password' })
      .expect(204);

    const prefix = stack.env.REDIS_KEY_PREFIX!;
    const lost = async () => {
      const keys = await stack.redis.keys(`${prefix}:auth:*`);
      expect(keys.length).toBeGreaterThan(0);
      await stack.redis.del(...keys);
    };
    await lost();
    expect(
      (
        await request(stack.apiUrl)
          .get(`/api/jobs/${jobId}`)
          .set(...as(loggedOut))
      ).status,
    ).toBe(401);
    await lost();
    expect((await generate(stack.apiUrl, beforeChange, projectId, { description })).status).toBe(401);
    await lost();
    expect(
      (
        await request(stack.apiUrl)
          .get('/api/me')
          .set(...as(loggedOut))
      ).status,
    ).toBe(401);
    // The live token still works, and the entries are back, bounded by the token lifetime.
    expect(
      (
        await request(stack.apiUrl)
          .get('/api/me')
          .set(...as(live))
      ).status,
    ).toBe(200);
    const entry = `${prefix}:auth:valid-after:${u.id}`;
    expect(await stack.redis.exists(entry)).toBe(1);
    const ttl = await stack.redis.pttl(entry);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(7 * 86400 * 1000 + 60_000);
  });

  it('adds no Redis round trip to a cache hit or a job poll: one call each, carrying the revocation keys', async () => {
    const token = await login(owner.email, owner.password);
    await generate(stack.apiUrl, token, projectId, { description }).expect(200); // warm the entry
    // The API processes' request clients (other test files' too: their keys carry other prefixes).
    const apis = new Set(
      String(await stack.redis.client('LIST'))
        .split('\n')
        .filter((l) => l.includes('name=vectort-api '))
        .map((l) => l.match(/addr=(\S+)/)?.[1]),
    );
    const prefix = stack.env.REDIS_KEY_PREFIX!;
    const monitor: Redis = await stack.redis.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (apis.has(source) && args.some((a) => a.includes(prefix))) seen.push(args);
    });
    try {
      for (let i = 0; i < 3; i++) await generate(stack.apiUrl, token, projectId, { description }).expect(200);
      for (let i = 0; i < 3; i++)
        await request(stack.apiUrl)
          .get(`/api/jobs/${jobId}`)
          .set(...as(token))
          .expect(200);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      monitor.disconnect();
    }
    // The active-users gauge flushes its own batch on a timer; everything else is per request.
    const perRequest = seen.filter((a) => !['multi', 'pfadd', 'expire', 'exec'].includes(a[0]!.toLowerCase()));
    // A hit is the cache probe's one script call (MGET plus the hit ceiling's counter), a poll an MGET.
    expect(perRequest.map((a) => a[0]!.toLowerCase())).toEqual([...Array(3).fill('evalsha'), ...Array(3).fill('mget')]);
    for (const args of perRequest) expect(args.some((a) => a.includes(':auth:valid-after:'))).toBe(true);
  });
});
