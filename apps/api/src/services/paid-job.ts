import type { ObjectId } from 'mongodb';
import {
  InsufficientCreditsError,
  persistently,
  type CreditsLedger,
  type QueuePayloads,
  type UserDocument,
} from '@vectort/shared';
import type { JobsService } from './jobs.service';

/**
 * How long a failed submit keeps trying to give its reservation back before answering: longer
 * than a short MongoDB outage plus the driver's 5 s server selection, so the credit is not lost.
 */
const UNDO_TIMEOUT_MS = 30_000;

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
  // Give back a reservation whose job will not run. A reservation that threw may still have
  // changed the balance (a store that went away mid-operation): replaying it under its key
  // finishes it or makes it, and the refund then cancels it. Retried through a short outage.
  const undoReservation = (applied: boolean) =>
    cost > 0
      ? persistently(async () => {
          if (!applied && (await creditOp(-cost, 'generation')) === 'insufficient') return;
          await creditOp(cost, 'generation_refund');
        }, UNDO_TIMEOUT_MS)
      : Promise.resolve();
  // Never leave a record without its reservation (the sweep would run it) nor the reverse.
  if (reservation.status === 'rejected' || reservation.value === 'insufficient' || record.status === 'rejected') {
    if (record.status === 'fulfilled') await deps.jobs.discard(jobId);
    if (reservation.status === 'rejected' || reservation.value !== 'insufficient') {
      await undoReservation(reservation.status === 'fulfilled');
    }
    if (reservation.status === 'rejected') throw reservation.reason;
    if (record.status === 'rejected') throw record.reason;
    throw new InsufficientCreditsError(`A generation costs ${cost} credit(s)`);
  }
  try {
    await deps.jobs.push(job.queue, record.value, job.payload);
  } catch (err) {
    await undoReservation(true);
    throw err;
  }
}
