import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { Gauge, type Registry } from 'prom-client';
import { Collections, QUEUE_NAMES, type QueueName } from '@vectort/shared';

const ACTIVE_WINDOW_MINUTES = 5;
const FLUSH_MS = 10_000;
/** The credits-by-plan sum is an aggregate over every user: read it at most this often. */
const CREDITS_REFRESH_MS = 30_000;

export interface ActiveUsers {
  /** Notes that `userId` made a request (kept in memory, flushed to Redis in batches). */
  seen(userId: string): void;
  stop(): void;
}

export interface ApiGaugesDeps {
  registry: Registry;
  queues: Record<QueueName, Queue>;
  db: Db;
  redis: Redis;
  keyPrefix: string;
}

const minuteKey = (keyPrefix: string, minute: number) => `${keyPrefix}:active-users:${minute}`;

/**
 * Gauges read when Prometheus scrapes the API: queue depth by state, distinct users of the
 * last five minutes (a HyperLogLog per minute, shared by every API instance), and credits
 * held by plan. All are fleet-wide values; any API instance reports the same.
 */
export function registerApiGauges(deps: ApiGaugesDeps): ActiveUsers {
  const { registry, queues, db, redis, keyPrefix } = deps;
  const registers = [registry];

  new Gauge({
    name: 'vectort_queue_jobs',
    help: 'Jobs in each queue by state',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const counts = await queues[name].getJobCounts();
          for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
        }),
      ).catch(() => undefined);
    },
  });

  new Gauge({
    name: 'vectort_active_users',
    help: `Distinct users that made a request in the last ${ACTIVE_WINDOW_MINUTES} minutes`,
    registers,
    async collect() {
      const now = Math.floor(Date.now() / 60_000);
      const keys = Array.from({ length: ACTIVE_WINDOW_MINUTES }, (_, i) => minuteKey(keyPrefix, now - i));
      const n = await redis.pfcount(...keys).catch(() => null);
      if (n !== null) this.set(n);
    },
  });

  let creditsReadAt = 0;
  new Gauge({
    name: 'vectort_user_credits',
    help: 'Credits held by users, summed by plan',
    labelNames: ['plan'],
    registers,
    async collect() {
      if (Date.now() - creditsReadAt < CREDITS_REFRESH_MS) return;
      creditsReadAt = Date.now();
      const rows = await db
        .collection(Collections.users)
        .aggregate<{ _id: string; credits: number }>([{ $group: { _id: '$plan', credits: { $sum: '$credits' } } }])
        .toArray()
        .catch(() => null);
      if (!rows) return;
      this.reset();
      for (const row of rows) this.set({ plan: row._id }, row.credits);
    },
  });

  let pending = new Set<string>();
  const flush = () => {
    if (!pending.size) return;
    const key = minuteKey(keyPrefix, Math.floor(Date.now() / 60_000));
    const ids = [...pending];
    pending = new Set();
    redis
      .multi()
      .pfadd(key, ...ids)
      .expire(key, (ACTIVE_WINDOW_MINUTES + 1) * 60)
      .exec()
      .catch(() => undefined);
  };
  const timer = setInterval(flush, FLUSH_MS);
  timer.unref();
  return {
    seen: (userId) => {
      pending.add(userId);
    },
    stop: () => {
      clearInterval(timer);
      flush();
    },
  };
}
