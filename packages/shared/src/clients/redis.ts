import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole =
  /** Request paths: commands fail fast when Redis is down, so the API answers 503 instead of hanging. */
  | 'request'
  /** BullMQ workers and queue event listeners: BullMQ requires `maxRetriesPerRequest: null`. */
  | 'worker';

export interface RedisClientOptions {
  redisUrl: string;
  role: RedisRole;
  connectionName?: string;
}

export function redisOptions(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 5000,
    // Keep reconnecting forever with a capped back-off: Redis restarts must heal by themselves.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return role === 'worker'
    ? { ...common, maxRetriesPerRequest: null, enableReadyCheck: true }
    : {
        ...common,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        commandTimeout: 3000,
        // Commands issued in the same tick (concurrent requests) go out in one socket write: a
        // cache hit is one Redis round trip, and under load several hits share the write
        // (`node bench/generation.bench.mjs --only hit`). Each command still gets its own reply
        // and error. ioredis pipelines `callBuffer` under the wrong command name, so scripts go
        // through `evalshaBuffer` (redis-script.ts); `call` is pipelined correctly.
        enableAutoPipelining: true,
      };
}

/** An ioredis client for `role`. */
export function createRedis(options: RedisClientOptions): Redis {
  return new Redis(options.redisUrl, { ...redisOptions(options.role), connectionName: options.connectionName });
}

/** Resolves once `redis` is ready, rejects after `timeoutMs`. */
export function waitForRedis(redis: Redis, timeoutMs = 10000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
