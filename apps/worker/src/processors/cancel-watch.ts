import type { Redis } from 'ioredis';
import { cancelFlagKey } from '@vectort/shared';

/** How often a worker looks for cancel requests of the jobs it runs (the contract allows 2 s). */
const CHECK_MS = 250;

export interface CancelWatch {
  /** Aborts when the job's cancel flag is seen. */
  readonly signal: AbortSignal;
  /**
   * Whether a cancel was requested: read now, unless the flag was read within the check
   * interval (by a tick, or by a write that checks it on the way: {@link CancelWatcher.seen}).
   */
  check(): Promise<boolean>;
  stop(): void;
}

export interface CancelWatcher {
  watch(jobId: string): CancelWatch;
  /** What another Redis step just read of the job's cancel flag (a status write reads it too). */
  seen(jobId: string, requested: boolean): void;
  close(): void;
}

/**
 * One timer per worker process reads the cancel flags of every job it runs in one MGET, so the
 * cost does not grow with a round trip per job per tick. A job whose flag a write read within
 * the interval (progress, live output) is left out: the writes a running job makes anyway are
 * its checks, and the timer covers the silent stretches (waiting for the model's first token).
 */
export function createCancelWatcher(redis: Redis, keyPrefix: string): CancelWatcher {
  const watched = new Map<string, { controllers: Set<AbortController>; checkedAt: number }>();
  const abort = (jobId: string) => {
    for (const ctl of watched.get(jobId)?.controllers ?? []) ctl.abort(new Error('job cancelled'));
  };
  const seen = (jobId: string, requested: boolean) => {
    const entry = watched.get(jobId);
    if (!entry) return;
    entry.checkedAt = Date.now();
    if (requested) abort(jobId);
  };
  let ticking = false;
  const tick = async () => {
    if (ticking || watched.size === 0) return;
    const due = Date.now() - CHECK_MS;
    const ids = [...watched].filter(([, e]) => e.checkedAt <= due).map(([id]) => id);
    if (ids.length === 0) return;
    ticking = true;
    try {
      const flags = await redis.mget(...ids.map((id) => cancelFlagKey(keyPrefix, id)));
      ids.forEach((id, i) => seen(id, flags[i] !== null));
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
      let entry = watched.get(jobId);
      // A new watch has seen nothing yet: the next tick reads its flag.
      if (!entry) watched.set(jobId, (entry = { controllers: new Set(), checkedAt: 0 }));
      entry.controllers.add(ctl);
      const own = entry;
      return {
        signal: ctl.signal,
        async check() {
          if (ctl.signal.aborted) return true;
          if (Date.now() - own.checkedAt < CHECK_MS) return false;
          const flag = await redis.exists(cancelFlagKey(keyPrefix, jobId)).catch(() => null);
          if (flag !== null) seen(jobId, flag === 1);
          return ctl.signal.aborted;
        },
        stop() {
          own.controllers.delete(ctl);
          if (own.controllers.size === 0 && watched.get(jobId) === own) watched.delete(jobId);
        },
      };
    },
    seen,
    close() {
      clearInterval(timer);
    },
  };
}
