import { Redis } from 'ioredis';
import request from 'supertest';
import { createCappedKeyIndex } from '@vectort/shared';
import { createProject, generate } from '../../../test/support/http';
import { PrivateRedis } from '../../../test/support/private-redis';
import { SEED_FILES as FILES, seedModelOutput } from '../../../test/support/seed-cache';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { registerUser, type TestUser } from '../../../test/support/users';

// Issue 11 finding 2: free, unlimited cache hits sent with new Idempotency-Keys each stored
// their whole response (files included) in a `noeviction` Redis for 24 h. Redis memory is
// measured here, so the test runs on a Redis of its own: other test files do not move it.
let privateRedis: PrivateRedis;

beforeAll(async () => {
  privateRedis = new PrivateRedis();
  await privateRedis.start();
}, 30_000);
afterAll(() => privateRedis?.destroy());

/** Starts an API on the private Redis with `hitsPerMinute` as the ceiling. */
function startApp(label: string, hitsPerMinute: number): Promise<TestApp> {
  return startTestApp(label, {
    REDIS_URL: privateRedis.url,
    RATE_LIMIT_REGISTER_PER_HOUR: '1000',
    RATE_LIMIT_HITS_PER_MINUTE: String(hitsPerMinute),
  });
}

/** A model's output for `description`, made for a project of a user of its own. */
async function seedCache(app: TestApp, description: string): Promise<string> {
  const owner = await registerUser(app.baseUrl, 'seed');
  const projectId = await createProject(app.baseUrl, owner.token);
  return seedModelOutput(app, { userId: owner.id, projectId }, description);
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

describe('hit replays with new Idempotency-Keys', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('hitmem', 1_000_000);
  }, 30_000);
  afterAll(() => app?.close());

  it('10,000 of them grow Redis used_memory by a small bounded amount (a reference each, capped per user)', async () => {
    const description = 'a cached app for the memory test';
    await seedCache(app, description);
    const user = await registerUser(app.baseUrl, 'hitter');
    const projectId = await createProject(app.baseUrl, user.token);
    const url = `${app.baseUrl}/api/projects/${projectId}/generate`;
    const send = (key: string) =>
      fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify({ description }),
      });
    // The first hit makes this project's copy (MongoDB and a pointer); the rest are pure hits.
    const first = await send('warm-up');
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { generation: { id: string; files: unknown } };
    expect(firstBody.generation.files).toEqual(FILES);

    const before = await usedMemory(app.redis);
    const total = 10_000;
    let next = 0;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const res = await send(`replay-${next++}`);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const grown = (await usedMemory(app.redis)) - before;
    expect(Object.fromEntries(statuses)).toEqual({ 200: total });
    // Before the fix each record held the ~6 KB response: ~70 MB for these 10,000.
    console.log(`Redis used_memory grew by ${grown} bytes for ${total} hit replays`);
    expect(grown).toBeLessThan(1024 * 1024);

    const prefix = app.config.redisKeyPrefix;
    const records = await app.redis.keys(`${prefix}:idem:${user.id}:*`);
    expect(records.length).toBeLessThanOrEqual(1000);
    // A record is a reference: no file content in it.
    const record = (await app.redis.get(records[0]!))!;
    expect(record.length).toBeLessThan(400);
    expect(record).not.toContain('generated code');

    // The newest key still replays the first response in full, files read back from MongoDB.
    const replay = await send(`replay-${total - 1}`);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('x-cache')).toBe('HIT');
    expect(await replay.json()).toEqual(firstBody);
    // The oldest keys' records were dropped beyond the cap: they run again, as the free hit they are.
    const evicted = await send('replay-0');
    expect(evicted.status).toBe(200);
    expect(((await evicted.json()) as typeof firstBody).generation.id).toBe(firstBody.generation.id);
  }, 180_000);
});

describe('the per-user hit ceiling (RATE_LIMIT_HITS_PER_MINUTE)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('hitceiling', 5);
  }, 30_000);
  afterAll(() => app?.close());

  it('answers 429 with the draft-8 headers past the ceiling, MongoDB-tier hits counted too; misses do not count', async () => {
    const description = 'a cached app for the ceiling test';
    const key = await seedCache(app, description);
    const user: TestUser = await registerUser(app.baseUrl, 'ceiling');
    const projectId = await createProject(app.baseUrl, user.token);
    // Misses are the plan limiter's business, not the ceiling's.
    for (let i = 0; i < 6; i++) {
      expect((await generate(app.baseUrl, user.token, projectId, { description: `a miss ${i}` })).status).toBe(202);
    }
    for (let i = 0; i < 4; i++) {
      const hit = await generate(app.baseUrl, user.token, projectId, { description });
      expect(hit.status).toBe(200);
    }
    // The fifth hit comes from MongoDB's tier (no Redis entry); it counts as well.
    await app.redis.del(`${app.config.redisKeyPrefix}:cache:${key}`);
    expect((await generate(app.baseUrl, user.token, projectId, { description })).status).toBe(200);

    const refused = await generate(app.baseUrl, user.token, projectId, { description }, { 'Idempotency-Key': 'k1' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers.ratelimit).toMatch(/^"hits"; r=0; t=\d+$/);
    expect(refused.headers['ratelimit-policy']).toBe('"hits"; q=5; w=60');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The refused request's Idempotency-Key was freed, not kept as a replay of the 429.
    expect(await app.redis.keys(`${app.config.redisKeyPrefix}:idem:${user.id}:*`)).toEqual([]);

    // Another user has a ceiling of their own.
    const other = await registerUser(app.baseUrl, 'ceiling-other');
    const otherProject = await createProject(app.baseUrl, other.token);
    expect((await generate(app.baseUrl, other.token, otherProject, { description })).status).toBe(200);
    const metrics = await request(app.baseUrl).get('/api/metrics');
    expect(metrics.text).toMatch(/vectort_rate_limited_total\{route="hits",plan="unknown"[^}]*\} 1\n/);
  });
});

describe('capped per-user key index', () => {
  it('keeps the newest keys up to the cap and deletes the older ones', async () => {
    const redis = new Redis(privateRedis.url);
    try {
      const index = createCappedKeyIndex({ indexKey: (id) => `cap-test:index:${id}`, cap: 3, ttlSeconds: 60 });
      for (let i = 0; i < 5; i++) {
        await redis.set(`cap-test:key:${i}`, 'x', 'EX', 60);
        await index.track(redis, 'u1', `cap-test:key:${i}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(await redis.exists('cap-test:key:0', 'cap-test:key:1')).toBe(0);
      expect(await redis.exists('cap-test:key:2', 'cap-test:key:3', 'cap-test:key:4')).toBe(3);
      expect(await redis.zcard('cap-test:index:u1')).toBe(3);
      expect(await redis.ttl('cap-test:index:u1')).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});
