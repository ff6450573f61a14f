import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections } from '../domain/collections';
import type { CreditsLedger } from '../domain/credits-ledger';
import { isFinished, toJobView, type JobDocument, type JobKind, type JobView } from '../domain/job';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { enqueueWebhookDelivery } from '../webhooks/enqueue-webhook-delivery';
import { webhookEventType } from '../webhooks/webhook-events';
import { createJobViewCache } from './job-view-cache';

/** How long a cancel request stays visible to workers (longer than any job runs). */
const CANCEL_FLAG_TTL_SECONDS = 24 * 3600;

/**
 * Cancellation is a flag in Redis that the worker running the job checks (and turns into an
 * `AbortSignal` on its model call), plus the job's end written by whoever asked: the job reads
 * `cancelled` at once, the worker stops within its check interval. Any job kind gets it.
 */
export function cancelFlagKey(keyPrefix: string, jobId: string): string {
  return `${keyPrefix}:cancel:${jobId}`;
}

export async function requestCancel(redis: Redis, keyPrefix: string, jobId: string): Promise<void> {
  await redis.set(cancelFlagKey(keyPrefix, jobId), '1', 'EX', CANCEL_FLAG_TTL_SECONDS);
}

/** The refund a cancelled job of each kind is owed: the key the worker's refund uses, so it applies once. */
const REFUND_KEY: Record<JobKind, ((jobId: string) => string) | null> = {
  generate: (id) => `job:${id}:generation_refund`,
  edit: (id) => `job:${id}:generation_refund`,
  export: null,
};

/** The `generation_cancelled` / `export_cancelled` log event of each kind. */
const SUBJECT: Record<JobKind, string> = { generate: 'generation', edit: 'generation', export: 'export' };

export interface FinishCancelledDeps {
  db: Db;
  redis: Redis;
  keyPrefix: string;
  ledger: CreditsLedger;
  webhookQueue: Queue;
  logger: Logger;
  metrics: Pick<Metrics, 'generationsTotal' | 'exportsTotal'>;
  /** The model label of the `cancelled` generations metric. */
  model: string;
}

/**
 * Ends a job as `cancelled`: the record, its Redis view (which ends watchers' streams), the
 * refund of what its submit reserved (the worker's own refund key, so exactly once whoever gets
 * there first), the `*.cancelled` webhook (its id is derived, so at most one delivery), the log
 * event and the metric. Returns the status object, or null when the job had already ended.
 */
export async function finishCancelled(deps: FinishCancelledDeps, job: JobDocument): Promise<JobView | null> {
  const jobs = deps.db.collection<JobDocument>(Collections.jobs);
  const now = new Date();
  // Only a job still running: one that completed a moment ago keeps its result (and its debit).
  const ended = await jobs.findOneAndUpdate(
    { _id: job._id, status: { $in: ['queued', 'active'] } },
    { $set: { status: 'cancelled', error: null, finished_at: now, updated_at: now } },
    { returnDocument: 'after' },
  );
  if (!ended) return null;
  const id = job._id.toHexString();
  const view = toJobView(ended);
  await createJobViewCache(deps.redis, deps.keyPrefix).put(view, job.user_id.toHexString());
  const reserved = Number((job.payload as { reserved_credits?: unknown }).reserved_credits ?? 0);
  const refundKey = REFUND_KEY[job.kind];
  const refund =
    refundKey && reserved > 0
      ? await deps.ledger.apply({
          userId: job.user_id,
          key: refundKey(id),
          delta: reserved,
          reason: 'generation_refund',
          jobId: job._id,
        })
      : 'none';
  if (job.webhook_url) await enqueueCancelledWebhook(deps, ended, id);
  const payload = job.payload as { framework?: string };
  if (job.kind === 'generate' || job.kind === 'edit') {
    deps.metrics.generationsTotal.inc({
      status: 'cancelled',
      model: deps.model,
      framework: payload.framework ?? '',
      kind: job.kind,
    });
  } else deps.metrics.exportsTotal.inc({ status: 'cancelled' });
  deps.logger.info(`${SUBJECT[job.kind]}_cancelled`, {
    job_id: id,
    user_id: job.user_id.toHexString(),
    project_id: job.project_id.toHexString(),
    previous_status: job.status,
    kind: job.kind,
    refund,
  });
  return view;
}

/**
 * Ends job `id` as cancelled unless it already ended: for a worker that saw the cancel flag,
 * in case the API that raised it died before ending the job itself.
 */
export async function endCancelledJob(deps: FinishCancelledDeps, id: ObjectId): Promise<void> {
  const doc = await deps.db.collection<JobDocument>(Collections.jobs).findOne({ _id: id });
  if (doc && !isFinished(doc.status)) await finishCancelled(deps, doc);
}

async function enqueueCancelledWebhook(deps: FinishCancelledDeps, job: JobDocument, id: string): Promise<void> {
  try {
    await enqueueWebhookDelivery({ db: deps.db, queue: deps.webhookQueue }, job, 'cancelled');
  } catch (err) {
    deps.logger.error('webhook_enqueue_failed', {
      job_id: id,
      event_type: webhookEventType(job.kind, 'cancelled'),
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
