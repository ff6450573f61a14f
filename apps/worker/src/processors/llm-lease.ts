import type { Redis } from 'ioredis';

// Compare-and-act scripts: only the lease's owner may renew or release it.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface Lease {
  /** Stops renewing and deletes the lease if this owner still holds it. */
  release(): Promise<void>;
}

export interface LeaseManager {
  /**
   * Takes the lease on `key` for `owner`, renewed every third of its TTL until released; null
   * when another owner holds it. A lease `owner` already holds is taken over: the owner is a job
   * id, so the holder is an earlier attempt of the same job, which BullMQ only runs again once
   * that attempt stopped renewing its job lock (a dead worker).
   */
  acquire(key: string, owner: string): Promise<Lease | null>;
  isHeld(key: string): Promise<boolean>;
}

/**
 * Single flight for LLM calls across every worker process: `SET NX PX` on a Redis key. A
 * holder that dies stops renewing, the lease expires, and a waiter takes it over.
 */
export function createLeaseManager(redis: Redis, keyPrefix: string, ttlMs: number): LeaseManager {
  const leaseKey = (key: string) => `${keyPrefix}:lease:${key}`;
  return {
    async acquire(key, owner) {
      const k = leaseKey(key);
      const ok = await redis.set(k, owner, 'PX', ttlMs, 'NX');
      if (ok !== 'OK' && (await redis.eval(RENEW, 1, k, owner, String(ttlMs))) !== 1) return null;
      const timer = setInterval(
        () => {
          redis.eval(RENEW, 1, k, owner, String(ttlMs)).catch(() => undefined);
        },
        Math.max(100, Math.floor(ttlMs / 3)),
      );
      timer.unref();
      return {
        async release() {
          clearInterval(timer);
          await redis.eval(RELEASE, 1, k, owner).catch(() => undefined);
        },
      };
    },
    async isHeld(key) {
      return (await redis.exists(leaseKey(key))) === 1;
    },
  };
}
