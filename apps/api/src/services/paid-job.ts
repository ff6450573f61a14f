import type { ObjectId } from 'mongodb';
import {
  InsufficientCreditsError,
  persistently,
  type ApplyOptions,
  type BatchReplies,
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

/**
 * What a paid submit needs of its user: the id and the plan (the balance is checked by the
 * reservation itself). The plan may come from its Redis mirror rather than the user document.
 */
export type Submitter = Pick<UserDocument, '_id' | 'plan'>;

/** A job that calls the model: what {@link submitPaidJob} records, reserves and enqueues. */
export interface PaidJob<Q extends 'generate' | 'edit'> {
  queue: Q;
  user: Submitter;
  jobId: ObjectId;
  projectId: ObjectId;
  webhookUrl: string | null;
  cost: number;
  payload: QueuePayloads[Q];
}

/**
 * Reserves a model job's credits (402 when short) and records and enqueues the job, generate
 * and edit alike. The job record and the reservation are independent writes: they are made
 * together, and each is undone if the other (or the enqueue) fails. The enqueue (queue entry
 * and status object) goes out in the round trip that releases the user's credit lock: the
 * reservation and the enqueue cost Redis two round trips, the lock and that MULTI.
 */
export async function submitPaidJob<Q extends 'generate' | 'edit'>(
  deps: { ledger: CreditsLedger; jobs: JobsService },
  job: PaidJob<Q>,
): Promise<void> {
  const { user, jobId, cost } = job;
  const creditOp = (delta: number, reason: 'generation' | 'generation_refund', options?: ApplyOptions) =>
    deps.ledger.apply({ userId: user._id, key: `job:${jobId.toHexString()}:${reason}`, delta, reason, jobId }, options);
  const recorded = deps.jobs.record(
    { _id: jobId, kind: job.queue, user_id: user._id, project_id: job.projectId, webhook_url: job.webhookUrl },
    job.payload,
  );
  recorded.catch(() => undefined);
  if (cost === 0) return deps.jobs.push(job.queue, await recorded, job.payload);

  const enqueue: { sent: Promise<BatchReplies> | null } = { sent: null };
  const [reservation, record] = await Promise.allSettled([
    creditOp(-cost, 'generation', {
      // The job's id was made for this submit: no earlier run can have applied its debit.
      fresh: true,
      beforeRelease: async (result, lock) => {
        if (result === 'insufficient') return;
        const doc = await recorded.catch(() => null);
        const multi = doc && (await deps.jobs.pushBatch(job.queue, doc, job.payload).catch(() => null));
        if (multi) enqueue.sent = lock.releaseWith(multi);
      },
    }),
    recorded,
  ]);
  // Give back a reservation whose job will not run. A reservation that threw may still have
  // changed the balance (a store that went away mid-operation): replaying it under its key
  // finishes it or makes it, and the refund then cancels it. Retried through a short outage.
  const undoReservation = (applied: boolean) =>
    persistently(async () => {
      if (!applied && (await creditOp(-cost, 'generation')) === 'insufficient') return;
      await creditOp(cost, 'generation_refund');
    }, UNDO_TIMEOUT_MS);
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
    await deps.jobs.pushed(record.value, enqueue.sent);
  } catch (err) {
    await undoReservation(true);
    throw err;
  }
}
