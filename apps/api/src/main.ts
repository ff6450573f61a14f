import { config, errorReporter } from './instrument';
import type { Server } from 'node:http';
import {
  createLogger,
  createMetricsRegistry,
  createMongo,
  createQueues,
  createRedis,
  countMongoCommands,
  countRedisRoundTrips,
  createS3,
  createStoreRoundTrips,
  ensureIndexes,
  logConfigWarnings,
  logProcessWarnings,
  waitForRedis,
} from '@vectort/shared';
import { createApp } from './app';
import { createExpressServer } from './http/express-server';
import { createJobWatcher } from './services/job-watcher';

async function main(): Promise<void> {
  const logger = createLogger({ service: 'api', level: config.logLevel });
  logProcessWarnings(logger);
  logConfigWarnings(logger, config);
  if (config.jwt.generated)
    logger.warn('jwt_secret_generated', { detail: 'JWT_SECRET unset: tokens last only as long as this process' });

  const mongo = await createMongo({ mongoUrl: config.mongoUrl, maxConcurrentWrites: config.mongoMaxConcurrentWrites });
  await ensureIndexes(mongo.db);
  const redis = createRedis({ redisUrl: config.redisUrl, role: 'request', connectionName: 'vectort-api' });
  await waitForRedis(redis);
  const s3 = createS3(config.s3);
  const metrics = createMetricsRegistry('api');

  const subscriber = createRedis({ redisUrl: config.redisUrl, role: 'worker', connectionName: 'vectort-api-events' });
  const roundTrips = createStoreRoundTrips(metrics);
  countMongoCommands(mongo.client, roundTrips);
  countRedisRoundTrips(redis, roundTrips);
  countRedisRoundTrips(subscriber, roundTrips);
  const watcher = createJobWatcher(subscriber, config.redisKeyPrefix, logger);
  // The producers get a connection of their own: BullMQ defines its 64 scripts on the client it
  // is given, and ioredis copies every defined script onto each pipeline it builds (it cost a
  // cache hit about 5 % of its CPU while the request client auto-pipelined); the hits' commands
  // also never queue behind a burst of BullMQ's.
  const queueRedis = createRedis({ redisUrl: config.redisUrl, role: 'request', connectionName: 'vectort-api-queues' });
  countRedisRoundTrips(queueRedis, roundTrips);
  const queues = createQueues(queueRedis, config.redisKeyPrefix);

  const app = createApp({ config, logger, db: mongo.db, redis, s3, metrics, queues, watcher, errorReporter });
  const server: Server = createExpressServer(app).listen(config.port, () =>
    logger.info('api_listening', { port: config.port }),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('api_stopping', { signal });
    // Stop accepting, let in-flight requests finish, then close the clients they used.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await watcher.close();
    await Promise.allSettled(Object.values(queues).map((q) => q.close()));
    await Promise.allSettled([mongo.client.close(), redis.quit(), queueRedis.quit(), subscriber.quit()]);
    s3.destroy();
    logger.info('api_stopped');
    await errorReporter.flush();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));
}

main().catch((err: unknown) => {
  // One line naming the problem, as the contract asks for configuration errors.
  const message = `api failed to start: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`${message}\n`);
  errorReporter.capture(err);
  void errorReporter.flush().finally(() => process.exit(1));
});
