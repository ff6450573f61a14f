import type { Queue } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, webhookEventType, webhookId, type Logger, type WebhookJobPayload } from '@vectort/shared';
import type { JobEndHook } from '../processors/job-record';

/**
 * The job-end hook that enqueues a job's webhook delivery when it has a `webhook_url`. The
 * BullMQ job id is the event's `webhook-id`, derived from job id and event type: a job that ends
 * twice (redelivered by BullMQ) adds one delivery, not two.
 *
 * An enqueue failure is logged, not thrown: the job did end, and failing it now would rewrite
 * its record. If the worker is redelivered the job, the hook runs again.
 */
export function createWebhookEnqueuer(queue: Queue, logger: Logger): JobEndHook {
  return async (job, outcome) => {
    if (!job.webhook_url) return;
    const jobId = job._id.toHexString();
    const eventType = webhookEventType(job.kind, outcome);
    const payload: WebhookJobPayload = {
      webhook_id: webhookId(jobId, eventType),
      job_id: jobId,
      user_id: job.user_id.toHexString(),
      event_type: eventType,
      url: job.webhook_url,
    };
    try {
      await queue.add('webhook', payload, { ...DEFAULT_JOB_OPTIONS.webhook, jobId: payload.webhook_id });
    } catch (err) {
      logger.error('webhook_enqueue_failed', {
        job_id: jobId,
        event_type: eventType,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
}
