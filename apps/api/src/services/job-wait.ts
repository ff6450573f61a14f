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
  /**
   * `first`: the job as the caller just read it (no second read); else it is read here, and a
   * token-only route's `authCheck` is settled with that read.
   */
  start: { first?: JobView; authCheck?: PendingAuthCheck } = {},
): Promise<JobView> {
  const deadline = Date.now() + waitSeconds * 1000;
  const id = jobId.toHexString();
  let job = start.first ?? (await deps.jobs.getView(userId, jobId, { authCheck: start.authCheck }));
  while (!isFinished(job.status) && Date.now() < deadline && !closed.aborted) {
    // `wait` may be fractional (`?wait=0.5`); AbortSignal.timeout throws on a non-integer delay.
    const left = Math.max(1, Math.ceil(deadline - Date.now()));
    await deps.watcher.nextChange(id, AbortSignal.any([closed, AbortSignal.timeout(left)]));
    // The first read judged the copy's age; re-reads take the Redis copy as it is, so a long-poll
    // on a job queued for a while costs no MongoDB read per second.
    job = await deps.jobs.getView(userId, jobId, { trustStale: true });
  }
  return job;
}
