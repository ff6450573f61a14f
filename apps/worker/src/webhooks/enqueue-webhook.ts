import type { Queue } from 'bullmq';
import type { Db } from 'mongodb';
import { enqueueWebhookDelivery, webhookEventType, type Logger } from '@vectort/shared';
import type { JobEndHook } from '../processors/job-record';

/**
 * The job-end hook that records and enqueues a job's webhook delivery when it has a
 * `webhook_url` (see `enqueueWebhookDelivery`: the queued job carries the delivery id only).
 *
 * An enqueue failure is logged, not thrown: the job did end, and failing it now would rewrite
 * its record. If the worker is redelivered the job, the hook runs again.
 */
export function createWebhookEnqueuer(deps: { db: Db; queue: Queue; logger: Logger }): JobEndHook {
  return async (job, outcome) => {
    try {
      await enqueueWebhookDelivery(deps, job, outcome);
    } catch (err) {
      deps.logger.error('webhook_enqueue_failed', {
        job_id: job._id.toHexString(),
        event_type: webhookEventType(job.kind, outcome),
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
}
