import type { Redis } from 'ioredis';
import { cancelFlagKey, requestCancel } from '@vectort/shared';
import { createCancelWatcher, type CancelWatcher } from '../../src/processors/cancel-watch';
import { countedRedis } from '../../../../test/support/counted-redis';
import { uniqueName } from '../../../../test/support/services';

// The writes a running job makes anyway read its cancel flag on their way (`seen`): the watcher
// then needs no round trip of its own for that job.
let redis: Redis;
let roundTrips: () => Promise<number>;
let watcher: CancelWatcher;
const prefix = uniqueName('cancel');

beforeAll(async () => {
  ({ redis, roundTrips } = await countedRedis());
  watcher = createCancelWatcher(redis, prefix);
});
afterAll(async () => {
  watcher.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

it('aborts a job whose flag a write saw raised', () => {
  const watch = watcher.watch('job-1');
  watcher.seen('job-1', true);
  expect(watch.signal.aborted).toBe(true);
  watch.stop();
});

it('answers a check from a read made just before, without a round trip of its own', async () => {
  const watch = watcher.watch('job-2');
  watcher.seen('job-2', false);
  const start = await roundTrips();
  expect(await watch.check()).toBe(false);
  expect(await roundTrips()).toBe(start);
  watch.stop();
});

it('reads the flag when nothing has read it yet, and aborts when it is up', async () => {
  const watch = watcher.watch('job-3');
  await requestCancel(redis, prefix, 'job-3');
  expect(await redis.exists(cancelFlagKey(prefix, 'job-3'))).toBe(1);
  expect(await watch.check()).toBe(true);
  expect(watch.signal.aborted).toBe(true);
  watch.stop();
});
