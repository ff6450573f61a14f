import type { Queue } from 'bullmq';
import type { ObjectId, Db } from 'mongodb';
import {
  Collections,
  DEFAULT_JOB_OPTIONS,
  NotFoundError,
  UnavailableError,
  toJobView,
  type JobDocument,
  type JobView,
  type JobViewCache,
  type QueueName,
  type QueuePayloads,
} from '@vectort/shared';
import type { PendingAuthCheck } from './token-revocations';

export interface JobsService {
  /**
   * Records the job in MongoDB (the durable record clients poll), then enqueues it under the
   * same id. If the enqueue fails the record is removed and 503 is thrown; the caller undoes
   * its own side effects (the credit reservation).
   */
  enqueue<Q extends QueueName>(
    queue: Q,
    doc: Omit<
      JobDocument,
      'status' | 'progress' | 'result' | 'error' | 'created_at' | 'updated_at' | 'finished_at' | 'payload'
    >,
    payload: QueuePayloads[Q],
  ): Promise<JobDocument>;
  /** The two halves of `enqueue`, for callers that overlap the record with other work. */
  record(doc: NewJob, payload: unknown): Promise<JobDocument>;
  /** Enqueues a recorded job; on failure removes the record and throws 503. */
  push<Q extends QueueName>(queue: Q, doc: JobDocument, payload: QueuePayloads[Q]): Promise<void>;
  /** Removes a recorded job that will not be enqueued after all. */
  discard(id: ObjectId): Promise<void>;
  /** The user's own job, or 404. */
  get(userId: ObjectId, id: ObjectId): Promise<JobDocument>;
  /**
   * The user's own job's status object, from Redis when it can, else MongoDB; or 404. A
   * pending revocation check is settled with the same Redis read. With `trustStale`, an
   * unfinished Redis copy of any age is taken (watchers, which re-check rarely).
   */
  getView(
    userId: ObjectId,
    id: ObjectId,
    opts?: { trustStale?: boolean; authCheck?: PendingAuthCheck },
  ): Promise<JobView>;
}

type NewJob = Omit<
  JobDocument,
  'status' | 'progress' | 'result' | 'error' | 'created_at' | 'updated_at' | 'finished_at' | 'payload'
>;

export function createJobsService(db: Db, queues: Record<QueueName, Queue>, views: JobViewCache): JobsService {
  const jobs = db.collection<JobDocument>(Collections.jobs);

  const service: JobsService = {
    async enqueue(queue, base, payload) {
      const doc = await service.record(base, payload);
      await service.push(queue, doc, payload);
      return doc;
    },

    async record(base, payload) {
      const now = new Date();
      const doc: JobDocument = {
        ...base,
        status: 'queued',
        progress: 0,
        result: null,
        error: null,
        payload: payload as unknown as Record<string, unknown>,
        attempts_started: 0,
        created_at: now,
        updated_at: now,
        finished_at: null,
      };
      await jobs.insertOne(doc);
      await views.put(toJobView(doc), doc.user_id.toHexString());
      return doc;
    },

    async push(queue, doc, payload) {
      try {
        await queues[queue].add(queue, payload, { ...DEFAULT_JOB_OPTIONS[queue], jobId: doc._id.toHexString() });
      } catch {
        await service.discard(doc._id);
        throw new UnavailableError('The job queue is unavailable');
      }
    },

    async discard(id) {
      await jobs.deleteOne({ _id: id }).catch(() => undefined);
    },

    async get(userId, id) {
      const job = await jobs.findOne({ _id: id, user_id: userId }, { projection: { payload: 0 } });
      if (!job) throw new NotFoundError('Job');
      return job;
    },

    async getView(userId, id, opts = {}) {
      const { authCheck } = opts;
      const { view, also } = await views.read(id.toHexString(), userId.toHexString(), authCheck?.keys ?? [], opts);
      await authCheck?.settle(also);
      return view ?? toJobView(await service.get(userId, id));
    },
  };
  return service;
}
