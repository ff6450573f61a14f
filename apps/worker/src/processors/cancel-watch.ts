import type { Redis } from 'ioredis';
import { cancelFlagKey } from '@vectort/shared';

/** How often a worker looks for cancel requests of the jobs it runs (the contract allows 2 s). */
const CHECK_MS = 250;

export interface CancelWatch {
  /** Aborts when the job's cancel flag is seen. */
  readonly signal: AbortSignal;
  /** Looks now, for decisions that should not wait for the next tick. */
  check(): Promise<boolean>;
  stop(): void;
}

export interface CancelWatcher {
  watch(jobId: string): CancelWatch;
  close(): void;
}

/**
 * One timer per worker process reads the cancel flags of every job it runs in one MGET, so the
 * cost does not grow with a round trip per job per tick.
 */
export function createCancelWatcher(redis: Redis, keyPrefix: string): CancelWatcher {
  const watched = new Map<string, Set<AbortController>>();
  let ticking = false;
  const tick = async () => {
    if (ticking || watched.size === 0) return;
    ticking = true;
    try {
      const ids = [...watched.keys()];
      const flags = await redis.mget(...ids.map((id) => cancelFlagKey(keyPrefix, id)));
      ids.forEach((id, i) => {
        if (flags[i] === null) return;
        for (const ctl of watched.get(id) ?? []) ctl.abort(new Error('job cancelled'));
      });
    } catch {
      // Redis is down: the next tick tries again.
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), CHECK_MS);
  timer.unref();

  return {
    watch(jobId) {
      const ctl = new AbortController();
      let set = watched.get(jobId);
      if (!set) watched.set(jobId, (set = new Set()));
      set.add(ctl);
      return {
        signal: ctl.signal,
        async check() {
          if (ctl.signal.aborted) return true;
          const flag = await redis.exists(cancelFlagKey(keyPrefix, jobId)).catch(() => 0);
          if (flag === 1) ctl.abort(new Error('job cancelled'));
          return flag === 1;
        },
        stop() {
          set.delete(ctl);
          if (set.size === 0 && watched.get(jobId) === set) watched.delete(jobId);
        },
      };
    },
    close() {
      clearInterval(timer);
    },
  };
}
