import { config, errorReporter } from './instrument';
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
  isFerretDb,
  logConfigWarnings,
  logProcessWarnings,
  waitForRedis,
} from '@vectort/shared';
import { startMetricsServer } from './http/metrics-server';
import { createLlmProvider } from './llm/create-llm-provider';
import { startJobPruning } from './processors/prune-finished-jobs';
import { createWorkers } from './worker-app';

async function main(): Promise<void> {
  const logger = createLogger({ service: 'worker', level: config.logLevel });
  logProcessWarnings(logger);
  logConfigWarnings(logger, config);

  const mongo = await createMongo({ mongoUrl: config.mongoUrl, maxConcurrentWrites: config.mongoMaxConcurrentWrites });
  await ensureIndexes(mongo.db);
  const redis = createRedis({ redisUrl: config.redisUrl, role: 'worker', connectionName: 'vectort-worker' });
  await waitForRedis(redis);
  const metrics = createMetricsRegistry('worker');
  const roundTrips = createStoreRoundTrips(metrics);
  countMongoCommands(mongo.client, roundTrips);
  countRedisRoundTrips(redis, roundTrips);
  const metricsServer = await startMetricsServer(metrics, config.workerMetricsPort);
  const queues = createQueues(redis, config.redisKeyPrefix);
  const s3 = createS3(config.s3);
  const workers = createWorkers({
    config,
    logger,
    db: mongo.db,
    redis,
    queues,
    provider: createLlmProvider(config.llm, { logger }),
    s3,
    registry: metrics,
    errorReporter,
    compoundPointFilters: !(await isFerretDb(mongo.db)),
  });
  const stopPruning = await startJobPruning({
    db: mongo.db,
    logger,
    retentionSeconds: config.jobRecordRetentionSeconds,
  });
  logger.info('worker_started', {
    metrics_port: config.workerMetricsPort,
    concurrency: config.workerConcurrency,
    llm_provider: config.llm.provider,
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker_stopping', { signal });
    // Finish the jobs in hand; BullMQ hands over whatever is still running when this is killed.
    await Promise.all([workers.close(), stopPruning()]);
    await Promise.allSettled(Object.values(queues).map((q) => q.close()));
    await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    await Promise.allSettled([mongo.client.close(), redis.quit()]);
    s3.destroy();
    logger.info('worker_stopped');
    await errorReporter.flush();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));
}

main().catch((err: unknown) => {
  const message = `worker failed to start: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`${message}\n`);
  errorReporter.capture(err);
  void errorReporter.flush().finally(() => process.exit(1));
});
