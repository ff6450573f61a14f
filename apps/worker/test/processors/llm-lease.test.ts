import type { Redis } from 'ioredis';
import { createLeaseManager } from '../../src/processors/llm-lease';
import { countedRedis } from '../../../../test/support/counted-redis';
import { uniqueName } from '../../../../test/support/services';

// "Look in the cache, else take the lease" is one atomic round trip, so no holder can fill the
// entry between the look and the lease.
let redis: Redis;
let roundTrips: () => Promise<number>;
const prefix = uniqueName('lease');
const leases = () => createLeaseManager(redis, prefix, 2000);

beforeAll(async () => ({ redis, roundTrips } = await countedRedis()));
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

it('answers with the entry when it is there, and takes no lease', async () => {
  const entry = `${prefix}:cache:k1`;
  await redis.set(entry, '{"files":[]}');
  const start = await roundTrips();
  expect(await leases().acquireUnlessFilled('k1', 'job-a', entry)).toEqual({ filled: '{"files":[]}' });
  expect(await roundTrips()).toBe(start + 1);
  expect(await leases().isHeld('k1')).toBe(false);
});

it('takes the lease when the entry is not there; another owner then gets nothing, the same owner takes it over', async () => {
  const entry = `${prefix}:cache:k2`;
  const start = await roundTrips();
  const first = await leases().acquireUnlessFilled('k2', 'job-a', entry);
  expect(await roundTrips()).toBe(start + 1);
  expect(first && 'lease' in first).toBe(true);
  expect(await leases().acquireUnlessFilled('k2', 'job-b', entry)).toBeNull();
  // An earlier attempt of the same job (a dead worker's) held it: the retry takes it over.
  const again = await leases().acquireUnlessFilled('k2', 'job-a', entry);
  expect(again && 'lease' in again).toBe(true);
  if (again && 'lease' in again) await again.lease.release();
  if (first && 'lease' in first) await first.lease.release();
  expect(await leases().isHeld('k2')).toBe(false);
});
