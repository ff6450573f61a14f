import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import {
  createLogger,
  createMetricsRegistry,
  createMongo,
  createQueues,
  createRedis,
  createS3,
  ensureIndexes,
  loadConfig,
  waitForRedis,
  type Config,
  type Mongo,
} from '@vectort/shared';
import { createApp } from '../../apps/api/src/app';
import { createExpressServer } from '../../apps/api/src/http/express-server';
import { createJobWatcher } from '../../apps/api/src/services/job-watcher';
import { mongoUrlWithDb, serviceEnv, uniqueName } from './services';
import { LogCapture } from './log-capture';

export interface TestApp {
  baseUrl: string;
  /** The Express app itself (tests that walk its router). */
  app: Express;
  config: Config;
  db: Db;
  redis: Redis;
  s3: S3Client;
  logs: LogCapture;
  close(): Promise<void>;
}

/**
 * Starts the real API (createApp) on an ephemeral port against the real local services, with a
 * database and Redis key prefix of its own. `env` overrides configuration.
 */
export async function startTestApp(label: string, env: Record<string, string> = {}): Promise<TestApp> {
  const name = uniqueName(label);
  const base = serviceEnv();
  const config = loadConfig({
    ...base,
    NODE_ENV: 'test',
    MONGO_URL: mongoUrlWithDb(base.MONGO_URL!, name),
    REDIS_KEY_PREFIX: name,
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: 'info',
    ...env,
  });
  const logs = new LogCapture();
  const logger = createLogger({ service: 'api', level: config.logLevel, stream: logs.stream });
  const mongo: Mongo = await createMongo({ mongoUrl: config.mongoUrl });
  await ensureIndexes(mongo.db);
  const redis = createRedis({ redisUrl: config.redisUrl, role: 'request' });
  await waitForRedis(redis);
  const s3 = createS3(config.s3);
  const subscriber = createRedis({ redisUrl: config.redisUrl, role: 'worker' });
  const watcher = createJobWatcher(subscriber, config.redisKeyPrefix, logger);
  const queues = createQueues(redis, config.redisKeyPrefix);
  const app = createApp({
    config,
    logger,
    db: mongo.db,
    redis,
    s3,
    metrics: createMetricsRegistry('api'),
    queues,
    watcher,
  });
  const server: Server = await new Promise((resolve) => {
    // The server main.ts builds, so these tests run the request objects production runs.
    const s = createExpressServer(app).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    app,
    config,
    db: mongo.db,
    redis,
    s3,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mongo.db.dropDatabase().catch(() => undefined);
      await watcher.close();
      await Promise.allSettled(Object.values(queues).map((q) => q.close()));
      subscriber.disconnect();
      const keys = [
        ...(await redis.keys(`${name}:*`).catch(() => [] as string[])),
        ...(await redis.keys(`{${name}}:*`).catch(() => [] as string[])),
      ];
      if (keys.length) await redis.del(...keys).catch(() => undefined);
      redis.disconnect();
      s3.destroy();
      await mongo.client.close();
    },
  };
}
