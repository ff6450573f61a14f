import { UnrecoverableError } from 'bullmq';
import { ObjectId } from 'mongodb';
import {
  persistently,
  withFiles,
  type CachedOutput,
  type CreditsLedger,
  type GenerationStore,
  type GenerationView,
  type JobError,
} from '@vectort/shared';
import type { JobRecord } from './job-record';

/*
 * How a generate or edit job settles the credit its submit reserved (the `job:<id>:generation` debit),
 * exactly once, whatever kills it. The rules:
 *
 * - A miss keeps the debit: the job's own model call produced its output. Output is the job's
 *   own when its `source_generation_id` is the job id, by whichever attempt wrote it.
 * - A hit (output another job paid for) and a final failure get the refund
 *   `job:<id>:generation_refund`, applied before the job's end is written.
 * - Every attempt first looks at what earlier attempts left in MongoDB (`resumeEarlierAttempt`):
 *   its own generation (stored under the job id) means it settles as that generation says;
 *   a refund already applied means it may only end free (a hit on someone else's output, else
 *   failed). Redis holds nothing this depends on. The first attempt skips the look: the write
 *   that starts an attempt counts it in the job's record (`attempts_started`), and only an
 *   attempt that found the count at 0 knows that none ran before it.
 *
 * The crash windows of one job and what covers each:
 *
 * 1. Killed before the model call: nothing written; the retry runs from the start. Its lease
 *    (owner = the job id) is taken over at once by the retry (see llm-lease.ts).
 * 2. Killed inside the model call, or 3. after it answered but before the generation is stored:
 *    the answer is lost; the retry calls the model again (our cost, not the user's): one debit.
 * 4. Killed after the generation is stored, before the cache and project pointers are filled:
 *    the retry finds its generation by id (`store.reclaim`), fills them, settles as a miss
 *    without a second model call.
 * 5. Killed after the cache is filled: the retry finds its own generation first (and would
 *    recognise its own output in the cache too: `isOwnOutput`): a miss, no refund. This is
 *    issue 16: it used to take its own output for a free hit and refund it.
 * 6. A hit killed after its copy is stored, or after the refund: the retry resumes it as a hit;
 *    the refund's ledger key makes the second refund a no-op.
 * 7. Killed after the job is marked complete (or failed): the redelivery finds it ended and
 *    does nothing; everything was settled before the end was written.
 * 8. A final failure killed after its refund, before the failed mark: the retry sees the
 *    refund and ends the job free (failed, or a hit if the cache now holds another job's output).
 * 9. Redis losing its last second of writes (`appendfsync everysec`): BullMQ may forget a state
 *    change (the job runs again: the cases above) or the job itself (requeue-lost-jobs.ts adds it
 *    again from its MongoDB record); a lost lease costs a second model call; a lost cache entry
 *    turns a would-be hit into a paid miss. Debits, refunds and generations live in MongoDB.
 * 10. MongoDB away for seconds: the settling writes (refund, end of job) are retried in place
 *    (`persistently`, the ledger's keys make a replay safe), so an attempt that did its work does not fail for a write that a few
 *    seconds later succeeds.
 *
 * Two attempts of one job running at once (a live worker that lost its lock) agree as well:
 * the generation under the job id is inserted once, and both settle from the stored one.
 */

/** What a job produced: the generation it answers with, and whether it is free (a hit). */
export interface Outcome {
  generation: GenerationView;
  /** True when the output came from the cache (another job's call): the reservation is refunded. */
  fromCache: boolean;
}

export const refundKey = (jobId: string) => `job:${jobId}:generation_refund`;

/** True when `output` came from this job's own model call (by any of its attempts). */
export function isOwnOutput(output: CachedOutput, jobId: string): boolean {
  return output.source_generation_id === jobId;
}

/** Raised when an earlier attempt refunded the job and nothing free is left to answer with. */
export class RefundedEarlierError extends UnrecoverableError {
  constructor() {
    super('The generation failed');
  }
}

export interface ResumeDeps {
  store: GenerationStore;
  ledger: CreditsLedger;
  /** Answers from a cached output another job produced (the processor's hit path). */
  answerFromCache(output: CachedOutput): Promise<Outcome>;
}

/**
 * What earlier attempts of this job decided, read from MongoDB (two point reads): the outcome to
 * settle and complete with, or null to produce one. Throws {@link RefundedEarlierError} when an
 * earlier attempt refunded the job and no other job's output is there to end it as a hit.
 */
export async function resumeEarlierAttempt(
  deps: ResumeDeps,
  jobIdHex: string,
  jobId: ObjectId,
  cacheKey: string,
): Promise<Outcome | null> {
  const [refunded, own] = await Promise.all([deps.ledger.isApplied(refundKey(jobIdHex)), deps.store.reclaim(jobId)]);
  const ownIsHit = own ? !isOwnOutput(own.output, jobIdHex) : false;
  if (own && (!refunded || ownIsHit)) {
    return { generation: withFiles(own.copy, own.output), fromCache: ownIsHit };
  }
  if (!refunded) return null;
  // Refunded (a final failure, or a hit through a copy not stored under the job id): end free.
  const cached = await deps.store.lookup(cacheKey);
  if (cached && !isOwnOutput(cached, jobIdHex)) return deps.answerFromCache(cached);
  throw new RefundedEarlierError();
}

/** What settling reads of a job's payload (generate and edit alike). */
type SettledPayload = { job_id: string; user_id: string; reserved_credits: number };

/** The settling writes at a job's end, each retried through a short outage (`persistently`). */
export interface Settler {
  /** A hit is free: the refund, then the end (a refunded job may only end free). */
  completed(p: SettledPayload, jobId: ObjectId, outcome: Outcome): Promise<void>;
  /** A final failure: the refund first, so a run that finds it knows the job must end free. */
  failed(p: SettledPayload, jobId: ObjectId, error: JobError): Promise<void>;
}

export function createSettler(ledger: CreditsLedger, record: JobRecord): Settler {
  const refund = (p: SettledPayload, jobId: ObjectId) =>
    p.reserved_credits > 0
      ? persistently(() =>
          ledger.apply({
            userId: new ObjectId(p.user_id),
            key: refundKey(p.job_id),
            delta: p.reserved_credits,
            reason: 'generation_refund',
            jobId,
          }),
        )
      : Promise.resolve();
  return {
    async completed(p, jobId, outcome) {
      if (outcome.fromCache) await refund(p, jobId);
      await persistently(() => record.complete(jobId, { generation: outcome.generation }));
    },
    async failed(p, jobId, error) {
      await refund(p, jobId);
      await persistently(() => record.fail(jobId, error));
    },
  };
}
