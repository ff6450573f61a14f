import type { ObjectId } from 'mongodb';
import { isFinished, type JobView } from '@vectort/shared';
import type { JobWatcher } from './job-watcher';
import type { JobsService } from './jobs.service';
import type { PendingAuthCheck } from './token-revocations';

/**
 * Long-poll: re-reads the user's job each time a worker announces a change (or the watcher's
 * fallback tick) until it ends, `waitSeconds` pass, or `closed` aborts (the client left).
 */
export async function waitForJobEnd(
  deps: { jobs: JobsService; watcher: JobWatcher },
  userId: ObjectId,
  jobId: ObjectId,
  waitSeconds: number,
  closed: AbortSignal,
  /** Settled with the first read (token-only routes). */
  authCheck?: PendingAuthCheck,
): Promise<JobView> {
  const deadline = Date.now() + waitSeconds * 1000;
  const id = jobId.toHexString();
  let job = await deps.jobs.getView(userId, jobId, authCheck);
  while (!isFinished(job.status) && Date.now() < deadline && !closed.aborted) {
    await deps.watcher.nextChange(
      id,
      AbortSignal.any([closed, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]),
    );
    job = await deps.jobs.getView(userId, jobId);
  }
  return job;
}
