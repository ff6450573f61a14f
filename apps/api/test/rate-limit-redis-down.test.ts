import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { ObjectId } from 'mongodb';
import request from 'supertest';
import { AppError, createLogger, type UserDocument } from '@vectort/shared';
import '../src/http/request-state';
import { createPlanLimiter } from '../src/middleware/rate-limit';
import { LogCapture } from '../../../test/support/log-capture';
import { createProject, generate } from '../../../test/support/http';
import { PrivateRedis } from '../../../test/support/private-redis';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

// This file stops and restarts Redis, so it runs on a redis-server of its own.
let redis: PrivateRedis;
let redisStopped = false;
let app: TestApp;
let user: TestUser;
let projectId: string;

// The generate limiter alone, on the same Redis: in the full route a cache probe may reach
// Redis before it, so this shows the limiter itself fails closed.
let limiterUrl: string;
let limiterServer: Server;
const limiterLogs = new LogCapture();

beforeAll(async () => {
  redis = new PrivateRedis();
  await redis.start();
  app = await startTestApp('rldown', { REDIS_URL: redis.url, RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
  user = await registerUser(app.baseUrl, 'rldown');
  projectId = await createProject(app.baseUrl, user.token);

  // Only what the limiter reads (a logger, a user) and what its errors become (status, Retry-After).
  const logger = createLogger({ service: 'api', level: 'info', stream: limiterLogs.stream });
  const limited = express();
  limited.use((req, _res, next) => {
    req.log = logger;
    req.user = { _id: new ObjectId(), plan: 'free' } as UserDocument;
    next();
  });
  limited.get(
    '/limited',
    createPlanLimiter({
      redis: app.redis,
      keyPrefix: app.config.redisKeyPrefix,
      name: 'generate',
      perMinute: app.config.rateLimits.generatePerMinute,
    }),
    (_req, res) => {
      res.json({ ok: true });
    },
  );
  const toStatus: ErrorRequestHandler = (err, _req, res, _next) => {
    if (!(err instanceof AppError)) return void res.status(500).json({ error: { code: 'internal' } });
    if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
    res.status(err.httpStatus).json({ error: { code: err.code } });
  };
  limited.use(toStatus);
  limiterServer = await new Promise((resolve) => {
    const s = limited.listen(0, '127.0.0.1', () => resolve(s));
  });
  limiterUrl = `http://127.0.0.1:${(limiterServer.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  // Closing the app's queues and subscriber waits for Redis: bring it back if a failure left it down.
  if (redisStopped) await redis.start();
  await new Promise((resolve) => limiterServer?.close(resolve));
  await app?.close();
  await redis?.destroy();
});

const userId = () => new ObjectId(user.id);
const counts = async () => ({
  jobs: await app.db.collection('jobs').countDocuments({ user_id: userId() }),
  purchases: await app.db.collection('purchases').countDocuments({ user_id: userId() }),
  ledger: await app.db.collection('credit_ledger').countDocuments({ user_id: userId() }),
  credits: (await app.db.collection('users').findOne({ _id: userId() }))!.credits as number,
});

const exportZip = () =>
  request(app.baseUrl)
    .post(`/api/projects/${projectId}/export/zip`)
    .set(...bearer(user))
    .send({});
const purchase = (pack = 'small') =>
  request(app.baseUrl)
    .post('/api/credits/purchase')
    .set(...bearer(user))
    .send({ pack });

it('answers 503 on the limited routes while Redis is down, accepting nothing, and serves again once it is back', async () => {
  expect((await request(limiterUrl).get('/limited')).status).toBe(200);
  expect((await generate(app.baseUrl, user.token, projectId, { description: 'before the outage' })).status).toBe(202);
  expect((await purchase()).status).toBe(201);
  const before = await counts();
  expect(before).toEqual({ jobs: 1, purchases: 1, ledger: 3, credits: 20 - 1 + 100 });

  await redis.stop();
  redisStopped = true;

  const limited = await request(limiterUrl).get('/limited');
  expect(limited.status).toBe(503);
  expect(limited.body.error.code).toBe('unavailable');
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  expect(limiterLogs.entries().some((e) => e.message === 'rate_limiter_unavailable' && e.limiter === 'generate')).toBe(
    true,
  );

  for (const body of [
    { description: 'during the outage' },
    { description: 'forced during the outage', force_regenerate: true },
  ]) {
    const res = await generate(app.baseUrl, user.token, projectId, body);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  }
  const refused = await purchase();
  expect(refused.status).toBe(503);
  expect(refused.body.error.code).toBe('unavailable');
  const exported = await exportZip();
  expect(exported.status).toBe(503);
  expect(exported.body.error.code).toBe('unavailable');
  for (const limiter of ['purchase', 'export']) {
    expect(app.logs.entries().some((e) => e.message === 'rate_limiter_unavailable' && e.limiter === limiter)).toBe(
      true,
    );
  }
  expect(await counts()).toEqual(before);

  await redis.start();
  redisStopped = false;
  // The client reconnects by itself (capped back-off); the limiter reloads its script (NOSCRIPT after a restart).
  const deadline = Date.now() + 15_000;
  while ((await request(limiterUrl).get('/limited')).status !== 200) {
    if (Date.now() > deadline) throw new Error('limiter still refusing 15 s after Redis came back');
    await new Promise((r) => setTimeout(r, 200));
  }
  expect((await generate(app.baseUrl, user.token, projectId, { description: 'after the outage' })).status).toBe(202);
  expect((await purchase('medium')).status).toBe(201);
  // Past the limiter again (the project has no generation to export: that answer is the export route's own).
  expect([503, 429]).not.toContain((await exportZip()).status);
  expect(await counts()).toEqual({ jobs: 2, purchases: 2, ledger: 5, credits: before.credits - 1 + 500 });
}, 60_000);
