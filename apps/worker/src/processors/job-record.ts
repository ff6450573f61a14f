import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections, announceJobChange, type JobDocument, type JobError } from '@vectort/shared';

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

export function createJobRecord(db: Db, redis: Redis, keyPrefix: string): JobRecord {
  const jobs = db.collection<JobDocument>(Collections.jobs);
  const write = async (id: ObjectId, set: Partial<JobDocument>) => {
    await jobs.updateOne({ _id: id }, { $set: { ...set, updated_at: new Date() } });
    await announceJobChange(redis, keyPrefix, id.toHexString());
  };
  return {
    async start(id) {
      const job = await jobs.findOneAndUpdate(
        { _id: id, status: { $in: ['queued', 'active'] } },
        { $set: { status: 'active', progress: 5, updated_at: new Date() } },
        { returnDocument: 'after' },
      );
      if (job) await announceJobChange(redis, keyPrefix, id.toHexString());
      return job;
    },
    progress: (id, progress, status = 'active') => write(id, { status, progress: Math.round(progress) }),
    complete: (id, result) => write(id, { status: 'completed', progress: 100, result, error: null, finished_at: new Date() }),
    fail: (id, error) => write(id, { status: 'failed', error, finished_at: new Date() }),
  };
}
