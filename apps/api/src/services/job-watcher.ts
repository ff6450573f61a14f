import type { Redis } from 'ioredis';
import { jobEventsChannel, type Logger } from '@vectort/shared';

/** Even without a pub/sub message (lost while Redis restarted), waiters re-read this often. */
const FALLBACK_POLL_MS = 1000;

export interface JobWatcher {
  /** Resolves when `jobId` may have changed, or after the fallback poll interval, or on abort. */
  nextChange(jobId: string, signal?: AbortSignal): Promise<void>;
  /** Calls `listener` with the id of every job announced from now on (the event streams' reader). */
  listen(listener: (jobId: string) => void): void;
  close(): Promise<void>;
}

/**
 * One Redis subscription per API process for the workers' job-change announcements, fanned
 * out to every long-poll and event stream waiting in this process.
 */
export function createJobWatcher(subscriber: Redis, keyPrefix: string, logger: Logger): JobWatcher {
  const waiters = new Map<string, Set<() => void>>();
  const listeners: ((jobId: string) => void)[] = [];
  const channel = jobEventsChannel(keyPrefix);
  subscriber.on('message', (ch: string, jobId: string) => {
    if (ch !== channel) return;
    for (const listener of listeners) listener(jobId);
    const set = waiters.get(jobId);
    if (!set) return;
    waiters.delete(jobId);
    for (const wake of set) wake();
  });
  subscriber.on('error', (err: Error) => logger.warn('job_watcher_redis_error', { error: err.message }));
  // ioredis subscribes again by itself after a reconnect.
  subscriber
    .subscribe(channel)
    .catch((err: Error) => logger.error('job_watcher_subscribe_failed', { error: err.message }));

  return {
    nextChange(jobId, signal) {
      return new Promise((resolve) => {
        let set = waiters.get(jobId);
        if (!set) waiters.set(jobId, (set = new Set()));
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          set.delete(done);
          if (set.size === 0 && waiters.get(jobId) === set) waiters.delete(jobId);
          resolve();
        };
        const timer = setTimeout(done, FALLBACK_POLL_MS);
        signal?.addEventListener('abort', done, { once: true });
        set.add(done);
      });
    },
    listen(listener) {
      listeners.push(listener);
    },
    async close() {
      for (const set of waiters.values()) for (const wake of set) wake();
      waiters.clear();
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
