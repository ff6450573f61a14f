import { ObjectId } from 'mongodb';
import {
  cacheKey,
  coldIndexOffsets,
  createGenerationStore,
  generatorVersion,
  type GenerationStore,
} from '@vectort/shared';
import { createProject, generate } from '../../../test/support/http';
import { mongoCommandsDuring } from '../../../test/support/mongo-commands';
import { seedModelOutput } from '../../../test/support/seed-cache';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { registerUser, type TestUser } from '../../../test/support/users';

// The cache's cold-tier index (a Bloom filter in Redis over MongoDB's tier): a miss it rules out
// asks MongoDB nothing, and an entry only MongoDB still holds is a hit as before. No worker runs
// here (a miss stays queued): the tests rebuild the index themselves, as a worker would.
let app: TestApp;
let store: GenerationStore;
let user: TestUser & { projectId: string };

beforeAll(async () => {
  app = await startTestApp('coldindex', { RATE_LIMIT_GENERATE_PER_MINUTE: 'free=1000' });
  store = createGenerationStore({
    db: app.db,
    redis: app.redis,
    keyPrefix: app.config.redisKeyPrefix,
    ttlSeconds: 3600,
  });
  const u = await registerUser(app.baseUrl, 'cold');
  user = { ...u, projectId: await createProject(app.baseUrl, u.token) };
  await app.db.collection('users').updateOne({ email_lower: u.email.toLowerCase() }, { $set: { credits: 1000 } });
});
afterAll(() => app.close());

const prefix = () => app.config.redisKeyPrefix;
const keyOf = (description: string) =>
  cacheKey({ description, framework: 'react', type: 'web_app' }, generatorVersion(app.config.llm));
const submit = (description: string) => generate(app.baseUrl, user.token, user.projectId, { description });
const asksTier = (commands: string[]) => commands.filter((c) => c === 'find cache_entries').length;
/** A cached output only MongoDB's tier still holds (its Redis entry expired). */
async function coldOnly(description: string): Promise<void> {
  await seedModelOutput(app, { userId: user.id, projectId: user.projectId }, description);
  await app.redis.del(`${prefix()}:cache:${keyOf(description)}`);
}

it('asks MongoDB on a miss until the index is complete, then only for keys it may hold', async () => {
  await app.redis.del(`${prefix()}:cache-index:cold`, `${prefix()}:cache-index:cold:rebuilt`);
  const before = await mongoCommandsDuring(app.db, async () => expect((await submit('cold miss 1')).status).toBe(202));
  expect(asksTier(before)).toBe(1);

  await coldOnly('cold entry 1');
  expect(await store.refreshColdIndex()).toBe(true);
  const after = await mongoCommandsDuring(app.db, async () => expect((await submit('cold miss 2')).status).toBe(202));
  expect(asksTier(after)).toBe(0);

  // The entry MongoDB alone holds is still a hit, found through the index's "maybe".
  const hit = await mongoCommandsDuring(app.db, async () => {
    const res = await submit('cold entry 1');
    expect(res.status).toBe(200);
    expect(res.headers['x-cache']).toBe('HIT');
  });
  expect(asksTier(hit)).toBe(1);
});

it('a steady miss submit sends three MongoDB commands: the job record, the reservation, its ledger entry', async () => {
  await store.refreshColdIndex();
  // The first misses mirror the plan and hand on the ledger's note; then the path is steady.
  for (const i of [1, 2]) expect((await submit(`steady warm-up ${i}`)).status).toBe(202);
  const commands = await mongoCommandsDuring(app.db, async () =>
    expect((await submit('steady miss')).status).toBe(202),
  );
  expect(commands.sort()).toEqual(['insert credit_ledger', 'insert jobs', 'update users']);
});

it("rebuilds from MongoDB's tier what the index never saw, one rebuilder at a time", async () => {
  // An entry written without its bits (by a version before the index, say), then a lost index.
  await coldOnly('cold entry 2');
  await app.redis.del(`${prefix()}:cache-index:cold`, `${prefix()}:cache-index:cold:rebuilt`);
  expect((await store.probe(keyOf('cold entry 2'), new ObjectId(user.projectId))).coldTier).toBe('unknown');

  const rebuilt = await Promise.all([store.refreshColdIndex(), store.refreshColdIndex()]);
  expect(rebuilt.filter(Boolean)).toHaveLength(1);
  // Rebuilt for the day: the next check leaves it.
  expect(await store.refreshColdIndex()).toBe(false);
  expect(await app.redis.ttl(`${prefix()}:cache-index:cold:rebuilt`)).toBeGreaterThan(23 * 3600);

  expect((await submit('cold entry 2')).status).toBe(200);
  expect((await submit('cold entry 1')).status).toBe(200);
});

it('reads a lost index as unknown, never as "absent", even once writes began it again; the next check rebuilds it', async () => {
  await coldOnly('cold entry 3');
  await store.refreshColdIndex();
  // Lost (Redis lost its data, say), then begun again by a few writes: cold entry 3's lookup
  // sets its own bits, and the rest of the tier's keys are in no bit.
  await app.redis.del(`${prefix()}:cache-index:cold`);
  expect((await store.probe(keyOf('cold entry 3'), new ObjectId(user.projectId))).coldTier).toBe('unknown');
  expect((await submit('cold entry 3')).status).toBe(200);
  await app.redis.del(`${prefix()}:cache:${keyOf('cold entry 1')}`);
  expect((await store.probe(keyOf('cold entry 1'), new ObjectId(user.projectId))).coldTier).toBe('unknown');
  expect((await submit('cold entry 1')).status).toBe(200);
  expect(await store.refreshColdIndex()).toBe(true);
  expect((await store.probe(keyOf('never generated'), new ObjectId(user.projectId))).coldTier).toBe('absent');
});

it('sets seven bits per key from the key itself, and none for a key that is not a SHA-256', () => {
  const offsets = coldIndexOffsets(keyOf('any app'))!;
  expect(offsets).toHaveLength(7);
  expect(new Set(offsets).size).toBe(7);
  for (const o of offsets) expect(o).toBeGreaterThanOrEqual(0);
  for (const o of offsets) expect(o).toBeLessThan(2 ** 25);
  expect(coldIndexOffsets('not-a-cache-key')).toBeNull();
});

it("the probe reads the very bits coldIndexOffsets names (it works them out in Lua from the entry's key)", async () => {
  // A store of its own (own index key), its index complete and holding exactly one key's bits.
  const own = createGenerationStore({
    db: app.db,
    redis: app.redis,
    keyPrefix: `${prefix()}-offsets`,
    ttlSeconds: 3600,
  });
  const index = `${prefix()}-offsets:cache-index:cold`;
  const projectId = new ObjectId(user.projectId);
  const held = keyOf('offsets held');
  const offsets = coldIndexOffsets(held)!;
  const fill = app.redis
    .multi()
    .del(index)
    .setbit(index, 2 ** 25, 1);
  for (const o of offsets) fill.setbit(index, o, 1);
  await fill.exec();

  expect((await own.probe(held, projectId)).coldTier).toBe('maybe');
  for (const other of ['offsets other 1', 'offsets other 2', 'offsets other 3'])
    expect((await own.probe(keyOf(other), projectId)).coldTier).toBe('absent');
  // Any one of its bits unset, and the key reads absent.
  for (const o of offsets) {
    await app.redis.setbit(index, o, 0);
    expect((await own.probe(held, projectId)).coldTier).toBe('absent');
    await app.redis.setbit(index, o, 1);
  }
  await app.redis.del(index);
});
