import type { JobsOptions } from 'bullmq';
import type { Framework, ProjectType } from '../domain/generation';

/** Every BullMQ queue of the system. A worker refuses to start unless each has a processor. */
export const QUEUE_NAMES = ['generate'] as const;
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
  request_id: string;
}

/** One payload type per queue: the contract API and worker both import. */
export interface QueuePayloads {
  generate: GenerateJobPayload;
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
};

/**
 * BullMQ key prefix for a deployment. The braces make it a Redis Cluster hash tag, so every key
 * of a queue lands in one slot as BullMQ requires.
 */
export function queuePrefix(keyPrefix: string): string {
  return `{${keyPrefix}}`;
}
