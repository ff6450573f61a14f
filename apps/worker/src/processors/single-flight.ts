import type { CachedOutput } from '@vectort/shared';
import { LlmError } from '../llm/llm-errors';
import type { GenerationJobDeps, GenerationJobPayload, Outcome } from './generation-job';

/** How often a waiting job looks for the lease holder's result. */
const FOLLOWER_POLL_MS = 100;

/** The cache, else the lease and the model, else wait for whoever holds the lease. */
export async function produceOnce(
  deps: Pick<GenerationJobDeps, 'store' | 'leases' | 'maxWaitMs'>,
  p: GenerationJobPayload,
  fromCache: (output: CachedOutput) => Promise<Outcome>,
  callModel: () => Promise<Outcome>,
): Promise<Outcome> {
  const deadline = Date.now() + deps.maxWaitMs;
  for (;;) {
    // Redis only: the submit already looked in MongoDB, and a job that fills the cache fills Redis.
    const cached = await deps.store.lookupHot(p.cache_key);
    if (cached) return fromCache(cached);
    const lease = await deps.leases.acquire(p.cache_key, p.job_id);
    if (lease) {
      try {
        // The holder before us may have filled the cache just before releasing.
        const filled = await deps.store.lookupHot(p.cache_key);
        return filled ? await fromCache(filled) : await callModel();
      } finally {
        await lease.release();
      }
    }
    // Another job is calling the model for this key: wait for its result or for its lease to lapse.
    while ((await deps.leases.isHeld(p.cache_key)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, FOLLOWER_POLL_MS));
    }
    if (Date.now() >= deadline) throw new LlmError('timeout', 'Timed out waiting for an identical generation', true);
  }
}
