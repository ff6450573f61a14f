import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import {
  Collections,
  cancelFlagKey,
  createJobViewCache,
  isFinished,
  persistently,
  toJobView,
  type JobDocument,
  type JobError,
  type StatusWrite,
} from '@vectort/shared';

/**
 * Writes a job's state: the durable record in MongoDB (start and end) and the copy in Redis that
 * clients poll, whose every change wakes the API's long-polls and event streams.
 */
export interface JobRecord {
  /**
   * Marks the job active and counts the attempt; null when it already ended (a redelivered
   * job: nothing to do). `firstAttempt`: no attempt started before this one, so none left a
   * generation, a refund or live output behind.
   */
  start(id: ObjectId): Promise<{ job: JobDocument; firstAttempt: boolean } | null>;
  progress(id: ObjectId, progress: number, status?: 'active' | 'queued'): Promise<void>;
  /**
   * The job's progress as a write to send inside another round trip (the live-output flush),
   * or null when this process does not run the job.
   */
  progressWrite(id: ObjectId, progress: number): StatusWrite | null;
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

/** How long putting back an end that was overwritten keeps trying through a store outage. */
const RESTORE_TIMEOUT_MS = 30_000;

export interface JobRecordOptions {
  onEnd?: JobEndHook;
  /**
   * Told what each status write of a running job found of its cancel flag (the write checks it
   * in the same step), so those writes stand in for separate cancel checks.
   */
  onCancelSeen?: (jobId: string, requested: boolean) => void;
  /**
   * Whether the store answers a filter of `_id` and more from the `_id` index, as MongoDB does.
   * Then a job ends with one conditional write; otherwise (FerretDB v1, which pushes down a
   * filter of `_id` alone and reads the whole collection for anything more) with one write by
   * `_id` that returns the job as it was. @defaultValue true
   */
  compoundPointFilters?: boolean;
}

export function createJobRecord(db: Db, redis: Redis, keyPrefix: string, options: JobRecordOptions = {}): JobRecord {
  const { onEnd, onCancelSeen, compoundPointFilters = true } = options;
  const jobs = db.collection<JobDocument>(Collections.jobs);
  const views = createJobViewCache(redis, keyPrefix);
  // Jobs this process is running, as last written: progress goes to the Redis copy clients poll
  // (which also wakes them); MongoDB gets the durable facts, the start and the end.
  const running = new Map<string, JobDocument>();
  // The status writes of a running job also read its cancel flag.
  const writeOptions = (job: JobDocument) => {
    const id = job._id.toHexString();
    if (!running.has(id)) return {};
    return {
      cancelKey: cancelFlagKey(keyPrefix, id),
      onResult: (r: { cancelRequested: boolean }) => onCancelSeen?.(id, r.cancelRequested),
    };
  };
  const viewWrite = (job: JobDocument) => views.write(toJobView(job), job.user_id.toHexString(), writeOptions(job));
  const publish = (job: JobDocument) => views.put(toJobView(job), job.user_id.toHexString(), writeOptions(job));
  // Readers stop trusting an unfinished Redis copy after 30 s (see job-view-cache.ts): keep the
  // copies of running jobs fresh, so a long model call still reads as active.
  const heartbeat = setInterval(() => {
    for (const job of running.values()) void publish(job).catch(() => undefined);
  }, 10_000);
  heartbeat.unref();

  // A job's end never reopens or rewrites an end already written (cancelled by the API, finished
  // by another worker, or by an earlier try of this write); then only the hook runs again (it is
  // idempotent). On MongoDB that is one conditional write. On FerretDB v1 the same write reads
  // every job (measured here: ~0.7 s with 700 jobs, against ~0.15 s for a read and a write by
  // `_id`), so there it is one write by `_id` that returns the job as it was: in the rare case
  // that it had already ended, that end is written back at once. (The read-then-write it
  // replaces lost an end that landed between the two; this one sees it and puts it back, and
  // costs the worker job one MongoDB command less: DESIGN.md's budget, ≤ 5.)
  const endIfRunning = async (id: ObjectId, set: Partial<JobDocument>) => {
    const update = { $set: { ...set, updated_at: new Date() } };
    if (compoundPointFilters) {
      const after = await jobs.findOneAndUpdate({ _id: id, status: { $in: ['queued', 'active'] } }, update, {
        returnDocument: 'after',
      });
      return { after, before: after ? null : await jobs.findOne({ _id: id }, { projection: ENDED_JOB_FIELDS }) };
    }
    const before = await jobs.findOneAndUpdate({ _id: id }, update, { returnDocument: 'before' });
    if (!before) return { after: null, before: null };
    if (isFinished(before.status)) {
      await persistently(() => jobs.replaceOne({ _id: id }, before), RESTORE_TIMEOUT_MS);
      return { after: null, before };
    }
    return { after: { ...before, ...update.$set } as JobDocument, before };
  };

  const finish = async (id: ObjectId, set: Partial<JobDocument>, outcome: 'completed' | 'failed') => {
    running.delete(id.toHexString());
    const { after, before } = await endIfRunning(id, set);
    if (after) {
      await publish(after);
      return onEnd?.(after, outcome);
    }
    if (before && isFinished(before.status)) return onEnd?.(before, before.status as 'completed' | 'failed');
  };

  return {
    async start(id) {
      // The attempt is counted in MongoDB, not from BullMQ's counters: Redis can lose those (and
      // a job it lost is added again with fresh ones), and what an attempt left is in MongoDB.
      const job = await jobs.findOneAndUpdate(
        { _id: id },
        { $inc: { attempts_started: 1 } },
        { returnDocument: 'before' },
      );
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
      return { job: active, firstAttempt: job.attempts_started === 0 };
    },
    async progress(id, progress, status = 'active') {
      const job = running.get(id.toHexString());
      if (!job) return;
      Object.assign(job, { status, progress: Math.round(progress), updated_at: new Date() });
      await publish(job);
    },
    progressWrite(id, progress) {
      const job = running.get(id.toHexString());
      if (!job) return null;
      Object.assign(job, { status: 'active', progress: Math.round(progress), updated_at: new Date() });
      return viewWrite(job);
    },
    complete: (id, result) =>
      finish(id, { status: 'completed', progress: 100, result, error: null, finished_at: new Date() }, 'completed'),
    fail: (id, error) => finish(id, { status: 'failed', error, finished_at: new Date() }, 'failed'),
    forget: (id) => void running.delete(id.toHexString()),
  };
}
