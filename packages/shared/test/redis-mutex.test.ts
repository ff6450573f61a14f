import type { Redis } from 'ioredis';
import { withRedisMutex } from '@vectort/shared';
import { countedRedis } from '../../../test/support/counted-redis';
import { uniqueName } from '../../../test/support/services';

// The mutex's round trips carry its holders' state and their own commands (the credit ledger's
// note, a submit's enqueue): the lock costs two round trips whatever rides on them.
let redis: Redis;
let roundTrips: () => Promise<number>;
const prefix = uniqueName('mutex');

beforeAll(async () => ({ redis, roundTrips } = await countedRedis()));
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

it('reads a key with the lock and writes it back with the release: two round trips', async () => {
  const [lock, note] = [`${prefix}:lock:a`, `${prefix}:note:a`];
  await redis.set(note, 'before');
  const start = await roundTrips();
  const seen = await withRedisMutex(redis, lock, async (held) => held.alsoRead, {
    alsoRead: note,
    onRelease: (multi) => multi.set(note, 'after'),
  });
  expect(await roundTrips()).toBe(start + 2);
  expect(seen).toBe('before');
  expect(await redis.get(note)).toBe('after');
  expect(await redis.exists(lock)).toBe(0);
});

it("sends the holder's MULTI with the release and hands back that MULTI's own replies", async () => {
  const [lock, key] = [`${prefix}:lock:b`, `${prefix}:k:b`];
  const start = await roundTrips();
  let replies: Promise<unknown> = Promise.resolve();
  await withRedisMutex(redis, lock, async (held) => {
    replies = held.releaseWith(redis.multi().set(key, 'v').get(key));
  });
  expect(await replies).toEqual([
    [null, 'OK'],
    [null, 'v'],
  ]);
  expect(await roundTrips()).toBe(start + 2);
  expect(await redis.exists(lock)).toBe(0);
});

it('does not send the carried MULTI when the holder fails, and still releases the lock', async () => {
  const [lock, key] = [`${prefix}:lock:c`, `${prefix}:k:c`];
  let replies: Promise<unknown> = Promise.resolve();
  await expect(
    withRedisMutex(redis, lock, async (held) => {
      replies = held.releaseWith(redis.multi().set(key, 'v'));
      throw new Error('failed after queueing');
    }),
  ).rejects.toThrow('failed after queueing');
  await expect(replies).rejects.toThrow('failed after queueing');
  expect(await redis.exists(key)).toBe(0);
  expect(await redis.exists(lock)).toBe(0);
});
