import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import {
  Collections,
  ConflictError,
  NotFoundError,
  finishCancelled,
  isFinished,
  requestCancel,
  type FinishCancelledDeps,
  type JobDocument,
  type JobView,
} from '@vectort/shared';

export interface JobCancelDeps {
  db: Db;
  redis: Redis;
  keyPrefix: string;
  /** Producers by queue name: a job of kind K runs on the queue named K. */
  queues: Record<string, Queue>;
  finish: FinishCancelledDeps;
}

export interface JobCancelService {
  /** Cancels the user's job (any kind): 404 for another user's, 409 for one that ended. */
  cancel(userId: ObjectId, id: ObjectId): Promise<JobView>;
}

/**
 * `POST /api/jobs/{id}/cancel`: raise the job's cancel flag (the worker running it aborts its
 * model call within a check interval), take it off its queue if no worker has it yet, and end
 * it as `cancelled` at once, refund and webhook included. Nothing here depends on the job's
 * kind, so a new kind gets cancel by having a queue of its name.
 */
export function createJobCancelService(deps: JobCancelDeps): JobCancelService {
  const jobs = deps.db.collection<JobDocument>(Collections.jobs);
  return {
    async cancel(userId, id) {
      const job = await jobs.findOne({ _id: id });
      if (!job || !job.user_id.equals(userId)) throw new NotFoundError('Job');
      if (isFinished(job.status)) throw new ConflictError(`The job has already ended (${job.status})`);
      const jobId = id.toHexString();
      await requestCancel(deps.redis, deps.keyPrefix, jobId);
      // 0 when a worker holds it (active): that worker sees the flag instead.
      await deps.queues[job.kind]?.remove(jobId).catch(() => 0);
      const view = await finishCancelled(deps.finish, job);
      if (!view) throw new ConflictError('The job has already ended');
      return view;
    },
  };
}
