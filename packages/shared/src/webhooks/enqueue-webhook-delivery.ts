import type { Queue } from 'bullmq';
import { MongoServerError, type Db } from 'mongodb';
import { Collections } from '../domain/collections';
import type { JobDocument } from '../domain/job';
import { DEFAULT_JOB_OPTIONS, type WebhookJobPayload } from '../queues/queue-contract';
import type { WebhookDeliveryDocument } from './webhook-delivery';
import { webhookEventType, webhookId, type WebhookOutcome } from './webhook-events';

/** The job a delivery announces: its id, kind, owner and the URL its owner gave. */
export type WebhookSource = Pick<JobDocument, '_id' | 'kind' | 'user_id' | 'webhook_url'>;

/**
 * Writes the delivery record of `job`'s `outcome` event (URL and owner taken from the job's
 * own record) and enqueues a webhook job that carries only its id. The processor trusts
 * nothing else, so a job added by hand (Bull Board) with any URL or ids can only fail. The id
 * is derived from job id and event type: a job that ends twice makes one delivery, not two.
 * Returns the delivery id, or null when the job has no `webhook_url`.
 */
export async function enqueueWebhookDelivery(
  deps: { db: Db; queue: Queue },
  job: WebhookSource,
  outcome: WebhookOutcome,
): Promise<string | null> {
  if (!job.webhook_url) return null;
  const eventType = webhookEventType(job.kind, outcome);
  const id = webhookId(job._id.toHexString(), eventType);
  const now = new Date();
  try {
    await deps.db.collection<WebhookDeliveryDocument>(Collections.webhookDeliveries).insertOne({
      _id: id,
      user_id: job.user_id,
      job_id: job._id,
      event_type: eventType,
      url: job.webhook_url,
      status: 'pending',
      attempts: 0,
      last_status_code: null,
      last_error: null,
      next_attempt_at: now,
      attempt_log: [],
      created_at: now,
      updated_at: now,
    });
  } catch (err) {
    // Already recorded by an earlier end of the same job: enqueue again (a no-op in BullMQ if queued).
    if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
  }
  const payload: WebhookJobPayload = { delivery_id: id };
  await deps.queue.add('webhook', payload, { ...DEFAULT_JOB_OPTIONS.webhook, jobId: id });
  return id;
}
