import type { Queue } from 'bullmq';
import type { Db } from 'mongodb';
import {
  Collections,
  DEFAULT_JOB_OPTIONS,
  QUEUE_NAMES,
  type JobDocument,
  type Logger,
  type QueueName,
} from '@vectort/shared';

export interface RequeueOptions {
  db: Db;
  queues: Record<QueueName, Queue>;
  logger: Logger;
  /** A job untouched this long is checked against BullMQ. @defaultValue 60000 */
  staleAfterMs?: number;
  /** How often to look. @defaultValue 30000 */
  intervalMs?: number;
}

/**
 * Accepted jobs live in MongoDB first and BullMQ second. If Redis loses a queue entry (a
 * restart without its last writes, a flush), the job document remains: this sweep finds
 * unfinished jobs that BullMQ no longer knows and adds them again under the same id. A job that
 * BullMQ failed without its processor recording the end (stalled too often, or its last attempt
 * died before the end was written) is added again too: the run resumes what its attempts left
 * and settles it (generate-settlement.ts). Returns how many it re-added.
 */
export async function requeueLostJobs(options: RequeueOptions): Promise<number> {
  const staleBefore = new Date(Date.now() - (options.staleAfterMs ?? 60_000));
  const candidates = await options.db
    .collection<JobDocument>(Collections.jobs)
    .find({ status: { $in: ['queued', 'active'] }, updated_at: { $lt: staleBefore } })
    .limit(200)
    .toArray();
  let requeued = 0;
  for (const job of candidates) {
    const name = job.kind as QueueName;
    if (!QUEUE_NAMES.includes(name)) continue;
    const id = job._id.toHexString();
    const known = await options.queues[name].getJob(id);
    if (known && (await known.getState()) !== 'failed') continue;
    // The same id cannot be added while the failed entry exists.
    if (known) await known.remove();
    await options.queues[name].add(name, job.payload, { ...DEFAULT_JOB_OPTIONS[name], jobId: id });
    options.logger.warn('job_requeued', { job_id: id, kind: job.kind });
    requeued += 1;
  }
  return requeued;
}

/** Runs {@link requeueLostJobs} now and every `intervalMs`; returns a stop function. */
export function startRequeueLoop(options: RequeueOptions): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await requeueLostJobs(options);
    } catch (err) {
      options.logger.warn('requeue_sweep_failed', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}
