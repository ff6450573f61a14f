import type { JobsOptions } from 'bullmq';
import type { Framework, ProjectType } from '../domain/generation';
import type { Plan } from '../domain/plan';
import { WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_TYPE } from '../webhooks/webhook-retry-schedule';

/** Every BullMQ queue of the system. A worker refuses to start unless each has a processor. */
export const QUEUE_NAMES = ['generate', 'edit', 'export', 'webhook'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Payload of a `generate` job. Ids are hex strings: payloads travel as JSON. */
export interface GenerateJobPayload {
  /** Also the BullMQ job id and the id of the generation the job writes. */
  job_id: string;
  user_id: string;
  project_id: string;
  description: string;
  framework: Framework;
  type: ProjectType;
  cache_key: string;
  force_regenerate: boolean;
  /** Credits reserved at submit; refunded once if the job finally fails or ends as a cache hit. */
  reserved_credits: number;
  /** The user's plan at submit, for the credits-consumed metric. */
  plan: Plan;
  request_id: string;
}

/**
 * Payload of an `edit` job: change the parent generation's files as the instruction says and
 * store the result as the parent's next version. The parent's files are read by id in the
 * worker, not carried here: they can be far larger than a payload should be.
 */
export interface EditJobPayload {
  /** Also the BullMQ job id and the id of the generation (the new version) the job writes. */
  job_id: string;
  user_id: string;
  project_id: string;
  /** The generation edited; the caller's own, checked at submit. */
  parent_id: string;
  instruction: string;
  /** The parent's, carried on to the new version (and part of the cache key). */
  description: string;
  framework: Framework;
  type: ProjectType;
  cache_key: string;
  /** Credits reserved at submit; refunded once if the job finally fails or ends as a cache hit. */
  reserved_credits: number;
  /** The user's plan at submit, for the credits-consumed metric. */
  plan: Plan;
  request_id: string;
}

/** Payload of an `export` job: ZIP one generation of a project into S3. */
export interface ExportJobPayload {
  /** Also the BullMQ job id and the id of the export record the job writes. */
  job_id: string;
  user_id: string;
  project_id: string;
  generation_id: string;
  request_id: string;
}

/**
 * Payload of a `webhook` job: deliver one recorded event. Only the id of the delivery record
 * the system wrote (`enqueueWebhookDelivery`): URL, owner, secret and body all come from
 * records, so a job added by hand with its own URL or ids cannot send anything anywhere.
 */
export interface WebhookJobPayload {
  /** The `webhook-id`, also the BullMQ job id and the `webhook_deliveries` record's id. */
  delivery_id: string;
}

/** One payload type per queue: the contract API and worker both import. */
export interface QueuePayloads {
  generate: GenerateJobPayload;
  edit: EditJobPayload;
  export: ExportJobPayload;
  webhook: WebhookJobPayload;
}

/**
 * Default options per queue. The job id is our own (the Mongo job document's id): adding the
 * same id twice is a no-op in BullMQ, so re-enqueuing a job that Redis lost is safe.
 */
export const DEFAULT_JOB_OPTIONS: Record<QueueName, JobsOptions> = {
  generate: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  // An edit is a model call like a generation: the same retries.
  edit: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  // S3 hiccups are short: retry after 1 s, 2 s and 4 s. A longer outage fails the job
  // (`export_failed`) within seconds, and the client may simply ask again.
  export: {
    attempts: 4,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  // Receivers can be down for a day: see webhookRetryDelayMs for the schedule (the worker maps
  // this backoff type to it). Kept a week after the end, so a repeated enqueue with the same id
  // stays a no-op; the delivery record guards beyond that.
  webhook: {
    attempts: WEBHOOK_ATTEMPTS,
    backoff: { type: WEBHOOK_BACKOFF_TYPE },
    removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
};

/**
 * BullMQ key prefix for a deployment. The braces make it a Redis Cluster hash tag, so every key
 * of a queue lands in one slot as BullMQ requires.
 */
export function queuePrefix(keyPrefix: string): string {
  return `{${keyPrefix}}`;
}
