import type { ObjectId } from 'mongodb';
import { InsufficientCreditsError, type CreditsLedger, type QueuePayloads, type UserDocument } from '@vectort/shared';
import type { JobsService } from './jobs.service';

/** A job that calls the model: what {@link submitPaidJob} records, reserves and enqueues. */
export interface PaidJob<Q extends 'generate' | 'edit'> {
  queue: Q;
  user: UserDocument;
  jobId: ObjectId;
  projectId: ObjectId;
  webhookUrl: string | null;
  cost: number;
  payload: QueuePayloads[Q];
}

/**
 * Reserves a model job's credits (402 when short) and records and enqueues the job, generate
 * and edit alike. The job record and the reservation are independent writes: they are made
 * together, and each is undone if the other (or the enqueue) fails.
 */
export async function submitPaidJob<Q extends 'generate' | 'edit'>(
  deps: { ledger: CreditsLedger; jobs: JobsService },
  job: PaidJob<Q>,
): Promise<void> {
  const { user, jobId, cost } = job;
  const creditOp = (delta: number, reason: 'generation' | 'generation_refund') =>
    deps.ledger.apply({ userId: user._id, key: `job:${jobId.toHexString()}:${reason}`, delta, reason, jobId });
  const [reservation, record] = await Promise.allSettled([
    cost > 0 ? creditOp(-cost, 'generation') : Promise.resolve('applied' as const),
    deps.jobs.record(
      { _id: jobId, kind: job.queue, user_id: user._id, project_id: job.projectId, webhook_url: job.webhookUrl },
      job.payload,
    ),
  ]);
  // Never leave a record without its reservation (the sweep would run it) nor the reverse.
  if (reservation.status === 'rejected' || reservation.value === 'insufficient' || record.status === 'rejected') {
    if (record.status === 'fulfilled') await deps.jobs.discard(jobId);
    if (reservation.status === 'fulfilled' && reservation.value !== 'insufficient' && cost > 0) {
      await creditOp(cost, 'generation_refund');
    }
    if (reservation.status === 'rejected') throw reservation.reason;
    if (record.status === 'rejected') throw record.reason;
    throw new InsufficientCreditsError(`A generation costs ${cost} credit(s)`);
  }
  try {
    await deps.jobs.push(job.queue, record.value, job.payload);
  } catch (err) {
    if (cost > 0) await creditOp(cost, 'generation_refund');
    throw err;
  }
}
