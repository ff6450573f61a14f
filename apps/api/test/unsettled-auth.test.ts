import { PassThrough } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger, createUserDocumentLock } from '@vectort/shared';
import { authenticate, settleAuthBeforeErrors } from '../src/middleware/auth';
import { errorHandler } from '../src/middleware/error-handler';
import { recordRoute, requestContext } from '../src/middleware/request-context';
import { createTokenRevocations } from '../src/services/token-revocations';
import { createTokenService } from '../src/services/token.service';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { registerUser, type TestUser } from '../../../test/support/users';

// A token-only fast path must settle the token's revocation check before it answers; one that
// forgets is refused (500) rather than answering a token that may be revoked. The guard sits on
// express's response prototype, so it holds for every response of every route.
let stack: TestApp;
let user: TestUser;
let app: express.Express;
let revocations: ReturnType<typeof createTokenRevocations>;
let tokens: ReturnType<typeof createTokenService>;
const lines: string[] = [];

beforeAll(async () => {
  stack = await startTestApp('unsettled-auth');
  user = await registerUser(stack.baseUrl, 'unsettled');
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').trim().split('\n')));
  const logger = createLogger({ service: 'api', level: 'info', stream: sink });
  revocations = createTokenRevocations({
    db: stack.db,
    redis: stack.redis,
    keyPrefix: stack.config.redisKeyPrefix,
    ttlSeconds: stack.config.jwt.ttlSeconds,
    lock: createUserDocumentLock(stack.redis, stack.config.redisKeyPrefix),
  });
  tokens = createTokenService(stack.config.jwt);
  const auth = authenticate(tokens, revocations);
  app = express();
  app.use(requestContext(logger));
  app.get('/forgets', recordRoute, auth, (_req, res) => void res.json({ answered: true }));
  app.get('/settles', recordRoute, auth, async (req, res) => {
    await req.authCheck!.settleAlone();
    res.json({ answered: true, user_id: req.userId!.toHexString() });
  });
  app.get('/plain', recordRoute, (_req, res) => void res.json({ answered: true }));
  app.use(settleAuthBeforeErrors);
  app.use(errorHandler());
}, 30_000);
afterAll(() => stack?.close());

it('refuses an answer sent before the revocation check is settled: 500, the error logged', async () => {
  const res = await request(app).get('/forgets').set('Authorization', `Bearer ${user.token}`);
  expect(res.status).toBe(500);
  expect(res.body).not.toHaveProperty('answered');
  expect(res.body.error.code).toBe('internal');
  const failed = lines.map((line) => JSON.parse(line)).find((line) => line.message === 'request_failed');
  expect(JSON.stringify(failed)).toContain("/forgets answered before settling the token's revocation check");
});

it('lets the answer out once the check is settled, and leaves routes without a token alone', async () => {
  const settled = await request(app).get('/settles').set('Authorization', `Bearer ${user.token}`);
  expect(settled.status).toBe(200);
  expect(settled.body).toEqual({ answered: true, user_id: user.id });
  const plain = await request(app).get('/plain');
  expect(plain.status).toBe(200);
  expect(plain.body).toEqual({ answered: true });
});

it('keeps request fields per request: ids and users do not leak between concurrent requests', async () => {
  const other = await registerUser(stack.baseUrl, 'unsettled-other');
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      request(app)
        .get('/settles')
        .set('Authorization', `Bearer ${(i % 2 ? other : user).token}`)
        .set('X-Request-Id', `req-${i}`),
    ),
  );
  answers.forEach((res, i) => {
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(`req-${i}`);
    expect(res.body.user_id).toBe((i % 2 ? other : user).id);
  });
});

it("makes each request's check with the accessors of one shared prototype, none of its own", () => {
  // An object literal with getters would get a hidden class of its own per request, made in the
  // old generation (token-revocations.ts, PendingCheck): the hit path's GC cost.
  const claims = tokens.verifyClaims(user.token);
  const [a, b] = [revocations.pending(claims), revocations.pending(claims)];
  for (const name of ['keys', 'settled']) {
    expect(Object.getOwnPropertyDescriptor(a, name)).toBeUndefined();
    expect(typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(a), name)?.get).toBe('function');
  }
  expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
  expect(a.keys).toHaveLength(2);
  expect(a.settled).toBe(false);
});
