import { Registry } from 'prom-client';
import {
  countMongoCommands,
  countRedisRoundTrips,
  createMongo,
  createRedis,
  createStoreRoundTrips,
  waitForRedis,
  type Mongo,
} from '@vectort/shared';
import type { Redis } from 'ioredis';
import { serviceEnv, uniqueName } from '../../../test/support/services';

// vectort_store_round_trips_total on the real local Redis and MongoDB (FerretDB): what the
// benchmark checks DESIGN.md's round-trip budgets with.
const env = serviceEnv();
let registry: Registry;
let mongo: Mongo;
let redis: Redis;

async function count(store: 'mongo' | 'redis', command?: string): Promise<number> {
  const metric = await registry.getSingleMetric('vectort_store_round_trips_total')!.get();
  return metric.values
    .filter((v) => v.labels.store === store && (command === undefined || v.labels.command === command))
    .reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  registry = new Registry();
  const counter = createStoreRoundTrips(registry);
  mongo = await createMongo({ mongoUrl: env.MONGO_URL ?? '', dbName: uniqueName('roundtrips') });
  redis = createRedis({ redisUrl: env.REDIS_URL ?? '', role: 'request' });
  await waitForRedis(redis);
  countMongoCommands(mongo.client, counter);
  countRedisRoundTrips(redis, counter);
});

afterAll(async () => {
  await mongo.db.dropDatabase().catch(() => undefined);
  await mongo.client.close();
  redis.disconnect();
});

test('one Redis command is one round trip', async () => {
  const before = await count('redis');
  await redis.get(uniqueName('k'));
  expect((await count('redis')) - before).toBe(1);
});

test('a pipeline and a MULTI of several commands are one round trip each', async () => {
  const key = uniqueName('k');
  const before = await count('redis');
  await redis.pipeline().set(key, '1').incr(key).get(key).exec();
  expect((await count('redis')) - before).toBe(1);
  await redis.multi().incr(key).incr(key).del(key).exec();
  expect((await count('redis')) - before).toBe(2);
});

test('a client duplicated from a counted one is counted too', async () => {
  const copy = redis.duplicate();
  await waitForRedis(copy);
  const before = await count('redis');
  await copy.ping();
  await copy.ping();
  expect((await count('redis')) - before).toBe(2);
  copy.disconnect();
});

test('MongoDB commands are counted by name', async () => {
  const col = mongo.db.collection('things');
  const finds = await count('mongo', 'find');
  const inserts = await count('mongo', 'insert');
  await col.insertOne({ a: 1 });
  await col.findOne({ a: 1 });
  await col.findOne({ a: 2 });
  expect((await count('mongo', 'insert')) - inserts).toBe(1);
  expect((await count('mongo', 'find')) - finds).toBe(2);
});
