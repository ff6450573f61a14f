import { Worker, type Processor, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import {
  QUEUE_NAMES,
  createCreditsLedger,
  createGenerationStore,
  queuePrefix,
  type Config,
  type Logger,
  type QueueName,
} from '@vectort/shared';
import type { LlmProvider } from './llm/llm-provider';
import { createGenerateProcessor } from './processors/generate.processor';
import { createJobRecord } from './processors/job-record';
import { createLeaseManager } from './processors/llm-lease';
import { startRequeueLoop } from './processors/requeue-lost-jobs';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  db: Db;
  /** A worker-role client (no per-request retry limit), for cache, leases and announcements. */
  redis: Redis;
  /** Producers, used to re-add jobs Redis lost. */
  queues: Record<QueueName, Queue>;
  provider: LlmProvider;
}

export interface Workers {
  workers: Worker[];
  /** Stops taking jobs, waits for the running ones, and stops the sweep. */
  close(): Promise<void>;
}

/** Fails when a queue has no processor or a processor has no queue: a job must never sit unhandled. */
export function assertEveryQueueHandled(processors: Partial<Record<string, Processor>>): void {
  const missing = QUEUE_NAMES.filter((name) => typeof processors[name] !== 'function');
  const extra = Object.keys(processors).filter((name) => !(QUEUE_NAMES as readonly string[]).includes(name));
  if (missing.length || extra.length) {
    throw new Error(`Queue/processor mismatch: missing processors for [${missing.join(', ')}], unknown queues [${extra.join(', ')}]`);
  }
}

/** Starts a BullMQ worker for every queue; `main.ts` and the tests both call it. */
export function createWorkers(deps: WorkerDeps): Workers {
  const { config, db, redis, logger } = deps;
  const store = createGenerationStore({ db, redis, keyPrefix: config.redisKeyPrefix, ttlSeconds: config.cacheTtlSeconds });
  const record = createJobRecord(db, redis, config.redisKeyPrefix);

  const processors: Record<QueueName, Processor> = {
    generate: createGenerateProcessor({
      provider: deps.provider,
      store,
      ledger: createCreditsLedger({ db, redis, keyPrefix: config.redisKeyPrefix }),
      leases: createLeaseManager(redis, config.redisKeyPrefix, config.llmLeaseTtlMs),
      record,
      logger,
      maxWaitMs: 2 * config.llm.timeoutSeconds * 1000,
    }),
  };
  assertEveryQueueHandled(processors);

  const workers = QUEUE_NAMES.map((name) => {
    const worker = new Worker(name, processors[name], {
      connection: redis,
      prefix: queuePrefix(config.redisKeyPrefix),
      concurrency: config.workerConcurrency,
      lockDuration: config.workerLockDurationMs,
      stalledInterval: config.workerLockDurationMs,
      maxStalledCount: 2,
    });
    worker.on('error', (err) => logger.error('worker_error', { queue: name, error: err.message }));
    worker.on('stalled', (jobId) => logger.warn('job_stalled', { queue: name, job_id: jobId }));
    return worker;
  });
  const stopSweep = startRequeueLoop({ db, queues: deps.queues, logger });

  return {
    workers,
    async close() {
      stopSweep();
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
