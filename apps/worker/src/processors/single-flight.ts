import type { CachedOutput } from '@vectort/shared';
import { LlmError } from '../llm/llm-errors';
import { JobCancelled } from './generate-cancel';
import type { GenerationJobDeps, GenerationJobPayload, JobRun, Outcome } from './generation-job';

/** How often a waiting job looks for the lease holder's result. */
const FOLLOWER_POLL_MS = 100;

/** The cache, else the lease and the model, else wait for whoever holds the lease. */
export async function produceOnce(
  deps: Pick<GenerationJobDeps, 'store' | 'leases' | 'maxWaitMs'>,
  p: GenerationJobPayload,
  run: JobRun,
  fromCache: (output: CachedOutput) => Promise<Outcome>,
  /** `holdsLease`: other jobs may wait on this call (a cancel then hands it on to them). */
  callModel: (holdsLease: boolean) => Promise<Outcome>,
): Promise<Outcome> {
  const deadline = Date.now() + deps.maxWaitMs;
  for (;;) {
    // Redis only: the submit already looked in MongoDB, and a job that fills the cache fills Redis.
    // The look and the lease are one atomic step, so a holder cannot fill the entry in between.
    const got = await deps.leases.acquireUnlessFilled(p.cache_key, p.job_id, deps.store.hotEntryKey(p.cache_key));
    const cached = got && 'filled' in got ? deps.store.parseHot(got.filled) : null;
    if (cached) return fromCache(cached);
    if (got && 'lease' in got) {
      try {
        return await callModel(true);
      } finally {
        await got.lease.release();
      }
    }
    // Another job is calling the model for this key: wait for its result or for its lease to
    // lapse, saying so (a cancelled holder then goes on for us).
    try {
      let marked = 0;
      while ((await deps.leases.isHeld(p.cache_key)) && Date.now() < deadline) {
        if (run.cancel.signal.aborted) throw new JobCancelled();
        if (Date.now() - marked > 1000) {
          await deps.leases.markWaiting(p.cache_key, p.job_id);
          marked = Date.now();
        }
        await new Promise((r) => setTimeout(r, FOLLOWER_POLL_MS));
      }
    } finally {
      await deps.leases.stopWaiting(p.cache_key, p.job_id);
    }
    if (Date.now() >= deadline) throw new LlmError('timeout', 'Timed out waiting for an identical generation', true);
  }
}
