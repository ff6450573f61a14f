import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { countRedisRoundTrips, createRedis, createStoreRoundTrips, waitForRedis } from '@vectort/shared';
import { serviceEnv } from './services';

/** A Redis client whose round trips are counted as the processes count theirs (store-round-trips.ts). */
export async function countedRedis(): Promise<{ redis: Redis; roundTrips: () => Promise<number> }> {
  const registry = new Registry();
  const counter = createStoreRoundTrips(registry);
  const redis = createRedis({ redisUrl: serviceEnv().REDIS_URL!, role: 'worker' });
  await waitForRedis(redis);
  countRedisRoundTrips(redis, counter);
  const roundTrips = async () => {
    const metric = await registry.getSingleMetric('vectort_store_round_trips_total')!.get();
    return metric.values.filter((v) => v.labels.store === 'redis').reduce((n, v) => n + v.value, 0);
  };
  return { redis, roundTrips };
}
