import type { S3Client } from '@aws-sdk/client-s3';
import { Worker, type Processor, type Queue, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import {
  QUEUE_NAMES,
  createCreditsLedger,
  createMetrics,
  createGenerationStore,
  createLiveFilesWriter,
  queuePrefix,
  type Config,
  type ErrorReporter,
  type Logger,
  type QueueName,
} from '@vectort/shared';
import type { LlmProvider } from './llm/llm-provider';
import { EXPORT_CONCURRENCY, EXPORT_LEASE_TTL_MS, createExportProcessor } from './processors/export.processor';
import { createCancelWatcher } from './processors/cancel-watch';
import { createEditProcessor } from './processors/edit.processor';
import { createGenerateProcessor } from './processors/generate.processor';
import type { GenerationJobDeps } from './processors/generation-job';
import { createJobRecord } from './processors/job-record';
import { createLeaseManager } from './processors/llm-lease';
import { startColdIndexRefresh } from './processors/refresh-cold-index';
import { startRequeueLoop } from './processors/requeue-lost-jobs';
import { createWebhookEnqueuer } from './webhooks/enqueue-webhook';
import { webhookWorkerSettings } from './webhooks/webhook-backoff';
import { createWebhookProcessor } from './webhooks/webhook.processor';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  db: Db;
  /** A worker-role client (no per-request retry limit), for cache, leases and announcements. */
  redis: Redis;
  /** Producers, used to re-add jobs Redis lost. */
  queues: Record<QueueName, Queue>;
  provider: LlmProvider;
  /** Where export ZIPs are written (`config.s3.bucket`). */
  s3: S3Client;
  /** The worker's Prometheus registry. */
  registry: Registry;
  errorReporter: ErrorReporter;
  /**
   * Whether the store answers a filter of `_id` and more from the `_id` index (MongoDB does;
   * FerretDB v1 does not): the shape of the write that ends a job. @defaultValue true
   */
  compoundPointFilters?: boolean;
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
    throw new Error(
      `Queue/processor mismatch: missing processors for [${missing.join(', ')}], unknown queues [${extra.join(', ')}]`,
    );
  }
}

/** Starts a BullMQ worker for every queue; `main.ts` and the tests both call it. */
export function createWorkers(deps: WorkerDeps): Workers {
  const { config, db, redis, logger } = deps;
  const metrics = createMetrics(deps.registry);
  const store = createGenerationStore({
    db,
    redis,
    keyPrefix: config.redisKeyPrefix,
    ttlSeconds: config.cacheTtlSeconds,
  });
  const cancels = createCancelWatcher(redis, config.redisKeyPrefix);
  const record = createJobRecord(db, redis, config.redisKeyPrefix, {
    onEnd: createWebhookEnqueuer({ db, queue: deps.queues.webhook, logger }),
    onCancelSeen: cancels.seen,
    compoundPointFilters: deps.compoundPointFilters,
  });
  const ledger = createCreditsLedger({ db, redis, keyPrefix: config.redisKeyPrefix });
  const model = config.llm.provider === 'offline' ? 'offline-template-v1' : config.llm.model;

  // Generate and edit jobs share the store, the ledger, the lease, the record and cancellation.
  const generationDeps: GenerationJobDeps = {
    provider: deps.provider,
    store,
    ledger,
    leases: createLeaseManager(redis, config.redisKeyPrefix, config.llmLeaseTtlMs),
    record,
    logger,
    metrics,
    reporter: deps.errorReporter,
    model,
    maxWaitMs: 2 * config.llm.timeoutSeconds * 1000,
    cancels,
    liveFiles: (jobId) => createLiveFilesWriter(redis, config.redisKeyPrefix, jobId),
    cancelling: {
      db,
      redis,
      keyPrefix: config.redisKeyPrefix,
      ledger,
      webhookQueue: deps.queues.webhook,
      logger,
      metrics,
      model,
    },
  };
  const processors: Record<QueueName, Processor> = {
    generate: createGenerateProcessor(generationDeps),
    edit: createEditProcessor(generationDeps),
    export: createExportProcessor({
      db,
      s3: deps.s3,
      bucket: config.s3.bucket,
      urlTtlSeconds: config.exportUrlTtlSeconds,
      record,
      leases: createLeaseManager(redis, config.redisKeyPrefix, EXPORT_LEASE_TTL_MS),
      logger,
      cancels,
      cancelling: generationDeps.cancelling,
      exportsTotal: metrics.exportsTotal,
    }),
    webhook: createWebhookProcessor({
      db,
      logger,
      allowPrivate: config.webhookAllowPrivateNetworks,
      retryBaseMs: config.webhookRetryBaseMs,
      deliveriesMetric: metrics.webhookDeliveries,
    }),
  };
  assertEveryQueueHandled(processors);
  // Per-queue worker settings beyond the common ones below.
  const extraOptions: Partial<Record<QueueName, Partial<WorkerOptions>>> = {
    webhook: { settings: webhookWorkerSettings(config.webhookRetryBaseMs) },
    export: { concurrency: Math.min(config.workerConcurrency, EXPORT_CONCURRENCY) },
  };

  const workers = QUEUE_NAMES.map((name) => {
    const worker = new Worker(name, processors[name], {
      connection: redis,
      prefix: queuePrefix(config.redisKeyPrefix),
      concurrency: config.workerConcurrency,
      lockDuration: config.workerLockDurationMs,
      stalledInterval: config.workerLockDurationMs,
      maxStalledCount: 2,
      ...extraOptions[name],
    });
    worker.on('error', (err) => logger.error('worker_error', { queue: name, error: err.message }));
    worker.on('stalled', (jobId) => logger.warn('job_stalled', { queue: name, job_id: jobId }));
    // Generate and edit failures are reported by their processor, with the error type; others here.
    if (name !== 'generate' && name !== 'edit') {
      worker.on('failed', (job, err) => {
        const final = err.name === 'UnrecoverableError' || (job ? job.attemptsMade >= (job.opts.attempts ?? 1) : true);
        if (!final) return;
        const data = (job?.data ?? {}) as { user_id?: string; project_id?: string };
        deps.errorReporter.capture(err, {
          user: data.user_id ? { id: data.user_id } : undefined,
          tags: {
            queue: name,
            job_id: job?.id ?? 'unknown',
            ...(data.project_id ? { project_id: data.project_id } : {}),
          },
        });
      });
    }
    return worker;
  });
  const stopSweep = startRequeueLoop({
    db,
    queues: deps.queues,
    logger,
    staleAfterMs: config.jobRequeueAfterMs,
    intervalMs: Math.max(500, Math.floor(config.jobRequeueAfterMs / 2)),
  });
  const stopColdIndex = startColdIndexRefresh({ store, logger });

  return {
    workers,
    async close() {
      stopSweep();
      await Promise.all([...workers.map((w) => w.close()), stopColdIndex()]);
      cancels.close();
    },
  };
}
