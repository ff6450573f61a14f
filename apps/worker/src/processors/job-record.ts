import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import {
  Collections,
  createJobViewCache,
  isFinished,
  toJobView,
  type JobDocument,
  type JobError,
} from '@vectort/shared';

/**
 * Writes a job's state: the durable record in MongoDB (start and end) and the copy in Redis that
 * clients poll, whose every change wakes the API's long-polls and event streams.
 */
export interface JobRecord {
  /** Marks the job active; null when it already ended (a redelivered job: nothing to do). */
  start(id: ObjectId): Promise<JobDocument | null>;
  progress(id: ObjectId, progress: number, status?: 'active' | 'queued'): Promise<void>;
  complete(id: ObjectId, result: Record<string, unknown>): Promise<void>;
  fail(id: ObjectId, error: JobError): Promise<void>;
  /** Stops tracking a job this process no longer runs (cancelled: someone else wrote its end). */
  forget(id: ObjectId): void;
}

/** What a {@link JobEndHook} learns of an ended job. */
export type EndedJob = Pick<JobDocument, '_id' | 'kind' | 'user_id' | 'webhook_url'>;

/** Runs after a job's record says it ended (e.g. to enqueue its webhook); must not throw. */
export type JobEndHook = (job: EndedJob, outcome: 'completed' | 'failed' | 'cancelled') => Promise<void>;

const ENDED_JOB_FIELDS = { _id: 1, kind: 1, user_id: 1, webhook_url: 1, status: 1 } as const;

export function createJobRecord(db: Db, redis: Redis, keyPrefix: string, onEnd?: JobEndHook): JobRecord {
  const jobs = db.collection<JobDocument>(Collections.jobs);
  const views = createJobViewCache(redis, keyPrefix);
  // Jobs this process is running, as last written: progress goes to the Redis copy clients poll
  // (which also wakes them); MongoDB gets the durable facts, the start and the end.
  const running = new Map<string, JobDocument>();
  const publish = (job: JobDocument) => views.put(toJobView(job), job.user_id.toHexString());
  // Readers stop trusting an unfinished Redis copy after 30 s (see job-view-cache.ts): keep the
  // copies of running jobs fresh, so a long model call still reads as active.
  const heartbeat = setInterval(() => {
    for (const job of running.values()) void publish(job).catch(() => undefined);
  }, 10_000);
  heartbeat.unref();

  // Every MongoDB call here filters on _id alone: a point read or write on any store (FerretDB
  // scans for anything more). The status check is a read before the write instead.
  const finish = async (id: ObjectId, set: Partial<JobDocument>, outcome: 'completed' | 'failed') => {
    running.delete(id.toHexString());
    const before = await jobs.findOne({ _id: id }, { projection: ENDED_JOB_FIELDS });
    if (!before) return;
    // Never reopen or rewrite a job that has already ended (another worker finished it, or an
    // earlier try of this write got this far): only run the hook again (it is idempotent).
    if (isFinished(before.status)) return onEnd?.(before, before.status as 'completed' | 'failed');
    const after = await jobs.findOneAndUpdate(
      { _id: id },
      { $set: { ...set, updated_at: new Date() } },
      { returnDocument: 'after' },
    );
    if (!after) return;
    await publish(after);
    await onEnd?.(after, outcome);
  };

  return {
    async start(id) {
      const job = await jobs.findOne({ _id: id });
      if (!job) return null;
      if (isFinished(job.status)) {
        // Redelivered after it ended: the worker may have died between the final write and the
        // hook, so run the hook again (it is idempotent).
        await onEnd?.(job, job.status as 'completed' | 'failed' | 'cancelled');
        return null;
      }
      const active: JobDocument = { ...job, status: 'active', progress: 5, updated_at: new Date() };
      running.set(id.toHexString(), active);
      await publish(active);
      return active;
    },
    async progress(id, progress, status = 'active') {
      const job = running.get(id.toHexString());
      if (!job) return;
      Object.assign(job, { status, progress: Math.round(progress), updated_at: new Date() });
      await publish(job);
    },
    complete: (id, result) =>
      finish(id, { status: 'completed', progress: 100, result, error: null, finished_at: new Date() }, 'completed'),
    fail: (id, error) => finish(id, { status: 'failed', error, finished_at: new Date() }, 'failed'),
    forget: (id) => void running.delete(id.toHexString()),
  };
}
