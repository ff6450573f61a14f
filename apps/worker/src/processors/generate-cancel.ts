import type { ObjectId } from 'mongodb';
import {
  Collections,
  finishCancelled,
  isFinished,
  type FinishCancelledDeps,
  type JobDocument,
  type Logger,
} from '@vectort/shared';
import type { CancelWatch } from './cancel-watch';
import type { LeaseManager } from './llm-lease';

/** Thrown inside the processor when the job's cancel request was seen: not a failure. */
export class JobCancelled extends Error {
  constructor() {
    super('job cancelled');
    this.name = 'JobCancelled';
  }
}

/**
 * The model call's own signal: a cancel request aborts it, unless other jobs wait on this
 * call's result through the lease, in which case it goes on for them.
 */
export function modelCallSignal(
  leases: LeaseManager,
  cacheKey: string,
  cancel: CancelWatch,
  holdsLease: boolean,
  log: Logger,
): AbortSignal {
  const ctl = new AbortController();
  const onCancel = () => {
    void (async () => {
      if (holdsLease && (await leases.hasWaiters(cacheKey))) {
        log.info('generation_cancel_handed_on', { detail: 'other jobs wait on this model call; it goes on for them' });
        return;
      }
      ctl.abort(new Error('job cancelled'));
    })();
  };
  if (cancel.signal.aborted) onCancel();
  else cancel.signal.addEventListener('abort', onCancel, { once: true });
  return ctl.signal;
}

/** The API ends a cancelled job itself; this covers an API that died between flag and end. */
export async function endCancelled(cancelling: FinishCancelledDeps, jobId: ObjectId, log: Logger): Promise<void> {
  log.info('generation_stopped', { reason: 'cancelled' });
  const doc = await cancelling.db.collection<JobDocument>(Collections.jobs).findOne({ _id: jobId });
  if (doc && !isFinished(doc.status)) await finishCancelled(cancelling, doc);
}
