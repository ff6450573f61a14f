import type { ObjectId } from 'mongodb';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One attempt to deliver an event, kept on its delivery record. */
export interface WebhookAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/**
 * One event to deliver to one URL, in `webhook_deliveries`. The `_id` is the event's
 * `webhook-id` (see `webhookId`), so a repeated enqueue finds the same record.
 */
export interface WebhookDeliveryDocument {
  _id: string;
  user_id: ObjectId;
  job_id: ObjectId;
  event_type: string;
  url: string;
  /** `pending` while attempts remain; `delivered` after a 2xx; `failed` once it gave up. */
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  /** When the next attempt is due; null once the delivery ended. */
  next_attempt_at: Date | null;
  attempt_log: WebhookAttempt[];
  created_at: Date;
  updated_at: Date;
}

/** A delivery as `GET /api/webhooks/deliveries` lists it. */
export interface WebhookDeliveryView {
  id: string;
  event_type: string;
  url: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

export function toWebhookDeliveryView(doc: WebhookDeliveryDocument): WebhookDeliveryView {
  return {
    id: doc._id,
    event_type: doc.event_type,
    url: doc.url,
    status: doc.status,
    attempts: doc.attempts,
    last_status_code: doc.last_status_code,
    last_error: doc.last_error,
    next_attempt_at: doc.next_attempt_at?.toISOString() ?? null,
    created_at: doc.created_at.toISOString(),
  };
}
