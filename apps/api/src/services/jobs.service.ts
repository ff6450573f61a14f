import { Job, type Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { ObjectId, Db } from 'mongodb';
import {
  Collections,
  findOwned,
  DEFAULT_JOB_OPTIONS,
  NotFoundError,
  UnavailableError,
  toJobView,
  type JobDocument,
  type BatchReplies,
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
  /**
   * Enqueues a recorded job and stores its status object, in one MULTI (the job is never in the
   * queue without its status); on failure removes the record and throws 503.
   */
  push<Q extends QueueName>(queue: Q, doc: JobDocument, payload: QueuePayloads[Q]): Promise<void>;
  /** `push`'s MULTI, not sent: for a caller that sends it in a round trip of its own. */
  pushBatch<Q extends QueueName>(queue: Q, doc: JobDocument, payload: QueuePayloads[Q]): Promise<ChainableCommander>;
  /** What `push` makes of the replies of its MULTI, sent by the caller (null: it could not be made). */
  pushed(doc: JobDocument, replies: Promise<BatchReplies> | null): Promise<void>;
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

  /** The status object, then the queue entry, as one MULTI. */
  async function pushBatch<Q extends QueueName>(queue: Q, doc: JobDocument, payload: QueuePayloads[Q]) {
    // BullMQ's own client (the ioredis connection createQueues gave it): its MULTI knows the
    // queue's scripts.
    const multi = (await queues[queue].getBackend().client).multi() as unknown as ChainableCommander;
    multi.eval(...views.write(toJobView(doc), doc.user_id.toHexString()).args);
    const id = doc._id.toHexString();
    // Under the job's own id (cancel and the requeue sweep find it by that).
    const job = new Job(queues[queue], queue, payload, { ...DEFAULT_JOB_OPTIONS[queue], jobId: id }, id);
    // Queues BullMQ's add script on the MULTI (what its bulk and flow adds do).
    await job.addJob(multi as never);
    return multi;
  }

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
      return doc;
    },

    async push(queue, doc, payload) {
      const sent = pushBatch(queue, doc, payload).then(async (multi) => ((await multi.exec()) ?? []) as BatchReplies);
      await service.pushed(doc, sent);
    },

    pushBatch,

    async pushed(doc, replies) {
      try {
        if (!replies) throw new Error('the enqueue could not be prepared');
        // The status object is a copy (readers fall back to MongoDB); the queue entry is the job.
        const added = (await replies).at(-1);
        if (!added || added[0]) throw added?.[0] ?? new Error('no reply to the enqueue');
      } catch {
        await service.discard(doc._id);
        throw new UnavailableError('The job queue is unavailable');
      }
    },

    async discard(id) {
      await jobs.deleteOne({ _id: id }).catch(() => undefined);
    },

    async get(userId, id) {
      const job = await findOwned(jobs, id, userId, { projection: { payload: 0 } });
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
