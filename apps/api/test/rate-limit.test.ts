import { ObjectId } from 'mongodb';
import request from 'supertest';
import { createUserPlanMirror, type Plan } from '@vectort/shared';
import { registerAdmin } from '../../../test/support/admin';
import { createProject, generate } from '../../../test/support/http';
import { mongoCommandsDuring } from '../../../test/support/mongo-commands';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { until } from '../../../test/support/until';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

// No worker runs here: every accepted miss stays queued, which is all the limiter needs.
const ADMIN_EMAIL = 'rate-limit-admin@example.com';
let app: TestApp;
let admin: TestUser;

beforeAll(async () => {
  app = await startTestApp('ratelimit', { RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
  admin = await registerAdmin(app.baseUrl, app, ADMIN_EMAIL);
});
afterAll(() => app.close());

async function userOnPlan(plan: Plan, credits: number): Promise<TestUser> {
  const u = await registerUser(app.baseUrl, plan);
  await request(app.baseUrl)
    .patch(`/api/admin/users/${u.id}`)
    .set(...bearer(admin))
    .send({ plan, credits })
    .expect(200);
  return u;
}

const jobsOf = (userId: string) => app.db.collection('jobs').countDocuments({ user_id: new ObjectId(userId) });
const creditsOf = async (userId: string) =>
  (await app.db.collection('users').findOne({ _id: new ObjectId(userId) }))!.credits as number;

/** Sends `n` generate requests with distinct descriptions (all misses) and returns their statuses. */
async function misses(u: TestUser, projectId: string, n: number, label: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++)
    statuses.push((await generate(app.baseUrl, u.token, projectId, { description: `${label} miss ${i}` })).status);
  return statuses;
}

it('lets a free user make 10 generate misses a minute; the 11th is 429 with the draft-8 headers and takes nothing', async () => {
  const u = await registerUser(app.baseUrl, 'free');
  const projectId = await createProject(app.baseUrl, u.token);
  for (let i = 0; i < 10; i++) {
    const res = await generate(app.baseUrl, u.token, projectId, { description: `free miss ${i}` });
    expect(res.status).toBe(202);
    expect(res.headers['ratelimit-policy']).toMatch(/^"generate"; q=10; w=60\b/);
    expect(res.headers.ratelimit).toMatch(new RegExp(`^"generate"; r=${9 - i}; t=\\d+$`));
  }

  const refused = await generate(app.baseUrl, u.token, projectId, { description: 'free miss 10' });
  expect(refused.status).toBe(429);
  expect(refused.body.error.code).toBe('rate_limited');
  expect(refused.body.request_id).toBe(refused.headers['x-request-id']);
  const retryAfter = Number(refused.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(refused.headers.ratelimit).toMatch(/^"generate"; r=0; t=\d+$/);
  expect(refused.headers['ratelimit-policy']).toMatch(/^"generate"; q=10; w=60\b/);

  // The refused request neither queued a job nor spent a credit.
  expect(await jobsOf(u.id)).toBe(10);
  expect(await creditsOf(u.id)).toBe(20 - 10);
  // The count lives in Redis under the user's id, shared by every API instance.
  expect(await app.redis.get(`${app.config.redisKeyPrefix}:rl:generate:${u.id}`)).toBe('11');

  // Another free user has a count of their own.
  const other = await registerUser(app.baseUrl, 'free-other');
  const otherProject = await createProject(app.baseUrl, other.token);
  expect((await generate(app.baseUrl, other.token, otherProject, { description: 'free miss 0' })).status).toBe(202);

  const metrics = await request(app.baseUrl).get('/api/metrics');
  expect(metrics.text).toMatch(/^vectort_rate_limited_total\{(?=[^}]*route="generate")(?=[^}]*plan="free")[^}]*\} 1$/m);
});

it('does not count requests that fail before the miss path (validation, unknown project)', async () => {
  const u = await registerUser(app.baseUrl, 'invalid');
  const projectId = await createProject(app.baseUrl, u.token);
  for (let i = 0; i < 12; i++) {
    expect((await generate(app.baseUrl, u.token, projectId, { description: '' })).status).toBe(400);
  }
  expect((await generate(app.baseUrl, u.token, new ObjectId().toHexString(), { description: 'nowhere' })).status).toBe(
    404,
  );
  expect(await misses(u, projectId, 10, 'after-invalid')).toEqual(Array(10).fill(202));
});

it('lets a pro user make 100 generate misses a minute, then answers 429', async () => {
  const u = await userOnPlan('pro', 1000);
  const projectId = await createProject(app.baseUrl, u.token);
  const statuses = await misses(u, projectId, 101, 'pro');
  expect(statuses.slice(0, 100)).toEqual(Array(100).fill(202));
  expect(statuses[100]).toBe(429);
  expect(await jobsOf(u.id)).toBe(100);
  const metrics = await request(app.baseUrl).get('/api/metrics');
  expect(metrics.text).toMatch(/^vectort_rate_limited_total\{(?=[^}]*route="generate")(?=[^}]*plan="pro")[^}]*\} 1$/m);
}, 60_000);

it('never limits an enterprise user, nor counts their requests', async () => {
  const u = await userOnPlan('enterprise', 10_000);
  const projectId = await createProject(app.baseUrl, u.token);
  const statuses: number[] = [];
  for (let i = 0; i < 150; i++) {
    const res = await generate(app.baseUrl, u.token, projectId, { description: `enterprise miss ${i}` });
    statuses.push(res.status);
    expect(res.headers.ratelimit).toBeUndefined();
  }
  expect(statuses).toEqual(Array(150).fill(202));
  expect(await jobsOf(u.id)).toBe(150);
  expect(await creditsOf(u.id)).toBe(10_000 - 150);
  expect(await app.redis.exists(`${app.config.redisKeyPrefix}:rl:generate:${u.id}`)).toBe(0);
}, 60_000);

it('applies a plan change to the running window: a free user upgraded to starter gets 30', async () => {
  const u = await registerUser(app.baseUrl, 'upgrade');
  const projectId = await createProject(app.baseUrl, u.token);
  expect(await misses(u, projectId, 11, 'before-upgrade')).toEqual([...Array(10).fill(202), 429]);
  await request(app.baseUrl)
    .patch(`/api/admin/users/${u.id}`)
    .set(...bearer(admin))
    .send({ plan: 'starter', credits: 100 })
    .expect(200);
  // 11 counted so far (the refused one too): 19 more fit in starter's 30.
  const after = await misses(u, projectId, 20, 'after-upgrade');
  expect(after).toEqual([...Array(19).fill(202), 429]);
});

describe("the plan's Redis mirror", () => {
  /** The MongoDB commands one miss submit sends, by collection. */
  const commandsOfOneMiss = (u: TestUser, projectId: string, label: string) =>
    mongoCommandsDuring(app.db, async () => {
      expect((await generate(app.baseUrl, u.token, projectId, { description: label })).status).toBe(202);
    });
  const planKey = (u: TestUser) => `${app.config.redisKeyPrefix}:user-plan:${u.id}`;
  const readsUser = (commands: string[]) => commands.filter((c) => c === 'find users').length;

  it('spares a miss the user read once the first miss has mirrored the plan', async () => {
    const u = await registerUser(app.baseUrl, 'mirror');
    const projectId = await createProject(app.baseUrl, u.token);
    await app.redis.del(planKey(u));
    expect(readsUser(await commandsOfOneMiss(u, projectId, 'mirror miss 1'))).toBe(1);
    await until('the plan mirrored', async () => (await app.redis.get(planKey(u))) === 'free');
    expect(await app.redis.ttl(planKey(u))).toBeGreaterThan(0);
    const second = await commandsOfOneMiss(u, projectId, 'mirror miss 2');
    expect(readsUser(second)).toBe(0);
    // The balance is still checked, by the reservation's conditional update of the user.
    expect(second.filter((c) => /^(update|findAndModify) users$/.test(c))).toHaveLength(1);
  });

  it('follows a plan change at once, and a fill from an older read does not undo it', async () => {
    const u = await registerUser(app.baseUrl, 'mirror-change');
    const projectId = await createProject(app.baseUrl, u.token);
    expect(await misses(u, projectId, 1, 'mirror-change-before')).toEqual([202]);
    await until('the plan mirrored', async () => (await app.redis.get(planKey(u))) === 'free');
    await request(app.baseUrl)
      .patch(`/api/admin/users/${u.id}`)
      .set(...bearer(admin))
      .send({ plan: 'enterprise' })
      .expect(200);
    expect(await app.redis.get(planKey(u))).toBe('enterprise');
    // A submit that read the user before the change fills only where nothing is mirrored.
    await createUserPlanMirror(app.redis, app.config.redisKeyPrefix).fill(new ObjectId(u.id), 'free');
    expect(await app.redis.get(planKey(u))).toBe('enterprise');
    // Enterprise is unlimited: no RateLimit header, where the free plan's limiter sets one.
    const res = await generate(app.baseUrl, u.token, projectId, { description: 'mirror-change-after' });
    expect(res.status).toBe(202);
    expect(res.headers.ratelimit).toBeUndefined();
  });

  it('ignores a mirrored value that is not a plan and reads the user instead', async () => {
    const u = await registerUser(app.baseUrl, 'mirror-junk');
    const projectId = await createProject(app.baseUrl, u.token);
    await app.redis.set(planKey(u), 'platinum');
    const commands = await commandsOfOneMiss(u, projectId, 'mirror-junk miss');
    expect(readsUser(commands)).toBe(1);
  });
});

it('counts 429s of the IP-keyed limiters as plan "anonymous"', async () => {
  for (let i = 0; i < 11; i++)
    await request(app.baseUrl)
      .post('/api/auth/login')
      .send({ email: 'nobody@example.com', password: 'wrong-password' });
  const metrics = await request(app.baseUrl).get('/api/metrics');
  expect(metrics.text).toMatch(
    /^vectort_rate_limited_total\{(?=[^}]*route="login")(?=[^}]*plan="anonymous")[^}]*\} 1$/m,
  );
});

describe('with RATE_LIMIT_GENERATE_PER_MINUTE set', () => {
  let custom: TestApp;
  beforeAll(async () => {
    custom = await startTestApp('ratelimitcfg', {
      RATE_LIMIT_REGISTER_PER_HOUR: '1000',
      RATE_LIMIT_GENERATE_PER_MINUTE: 'free=2,starter=3',
    });
  });
  afterAll(() => custom.close());

  it('uses the configured figure of the plan', async () => {
    const u = await registerUser(custom.baseUrl, 'cfg');
    const projectId = await createProject(custom.baseUrl, u.token);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await generate(custom.baseUrl, u.token, projectId, { description: `cfg ${i}` })).status);
    expect(statuses).toEqual([202, 202, 429]);
  });
});
