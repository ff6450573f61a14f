import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections, createJobViewCache, toJobView, type JobDocument, type JobError } from '@vectort/shared';

/**
 * Writes a job's durable record (what clients poll) and announces each change, so long-polls
 * and event streams in the API wake at once.
 */
export interface JobRecord {
  /** Marks the job active; null when it already ended (a redelivered job: nothing to do). */
  start(id: ObjectId): Promise<JobDocument | null>;
  progress(id: ObjectId, progress: number, status?: 'active' | 'queued'): Promise<void>;
  complete(id: ObjectId, result: Record<string, unknown>): Promise<void>;
  fail(id: ObjectId, error: JobError): Promise<void>;
}

/** What a {@link JobEndHook} learns of an ended job. */
export type EndedJob = Pick<JobDocument, '_id' | 'kind' | 'user_id' | 'webhook_url'>;

/** Runs after a job's record says it ended (e.g. to enqueue its webhook); must not throw. */
export type JobEndHook = (job: EndedJob, outcome: 'completed' | 'failed') => Promise<void>;

const ENDED_JOB_FIELDS = { _id: 1, kind: 1, user_id: 1, webhook_url: 1, status: 1 } as const;

export function createJobRecord(db: Db, redis: Redis, keyPrefix: string, onEnd?: JobEndHook): JobRecord {
  const jobs = db.collection<JobDocument>(Collections.jobs);
  const views = createJobViewCache(redis, keyPrefix);
  // MongoDB first (durable), then the Redis copy clients poll, which also wakes them.
  const publish = (job: JobDocument, set: Partial<JobDocument> = {}) =>
    views.put(toJobView({ ...job, ...set }), job.user_id.toHexString());
  // Only an unfinished job changes: a late progress write must never reopen a finished one.
  const write = async (id: ObjectId, set: Partial<JobDocument>) => {
    const job = await jobs.findOneAndUpdate(
      { _id: id, status: { $in: ['queued', 'active'] } },
      { $set: { ...set, updated_at: new Date() } },
      { returnDocument: 'after' },
    );
    if (job) await publish(job);
  };
  // As `write`, in as many round trips: the update hands back the fields the hook needs. The
  // document from before the update is small (no result yet); FerretDB refuses a projection here.
  const finish = async (id: ObjectId, set: Partial<JobDocument>, outcome: 'completed' | 'failed') => {
    if (!onEnd) return write(id, set);
    const job = await jobs.findOneAndUpdate(
      { _id: id, status: { $in: ['queued', 'active'] } },
      { $set: { ...set, updated_at: new Date() } },
      { returnDocument: 'before' },
    );
    if (!job) return;
    await publish(job, set);
    await onEnd(job, outcome);
  };
  return {
    async start(id) {
      const job = await jobs.findOneAndUpdate(
        { _id: id, status: { $in: ['queued', 'active'] } },
        { $set: { status: 'active', progress: 5, updated_at: new Date() } },
        { returnDocument: 'after' },
      );
      if (job) await publish(job);
      else if (onEnd) {
        // Redelivered after it ended: the worker may have died between the final write and the
        // hook, so run the hook again (it is idempotent).
        const ended = await jobs.findOne(
          { _id: id, status: { $in: ['completed', 'failed'] } },
          { projection: ENDED_JOB_FIELDS },
        );
        if (ended) await onEnd(ended, ended.status as 'completed' | 'failed');
      }
      return job;
    },
    progress: (id, progress, status = 'active') => write(id, { status, progress: Math.round(progress) }),
    complete: (id, result) =>
      finish(id, { status: 'completed', progress: 100, result, error: null, finished_at: new Date() }, 'completed'),
    fail: (id, error) => finish(id, { status: 'failed', error, finished_at: new Date() }, 'failed'),
  };
}
