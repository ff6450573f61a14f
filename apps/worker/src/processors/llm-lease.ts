import type { Redis } from 'ioredis';

// Compare-and-act scripts: only the lease's owner may renew or release it.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
// The cache entry KEYS[2] when it is there, else the lease KEYS[1] for ARGV[1] (taken, or taken
// over from an earlier attempt of the same owner): {1, entry}, {0, 1} when taken, {0, 0} when
// another owner holds it. One atomic step, so no holder can fill the entry in between.
const FILLED_OR_ACQUIRE = `
local entry = redis.call('get', KEYS[2])
if entry then return {1, entry} end
if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {0, 1} end
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return {0, 1}
end
return {0, 0}`;

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
  /**
   * {@link acquire}, unless the Redis key `entryKey` (the cache entry the holder fills) is
   * there: then its value, and no lease. One round trip for "look in the cache, else take the
   * lease".
   */
  acquireUnlessFilled(
    key: string,
    owner: string,
    entryKey: string,
  ): Promise<{ filled: string } | { lease: Lease } | null>;
  isHeld(key: string): Promise<boolean>;
  /** Says that `jobId` waits for the holder's result, for the next few seconds (call again to stay). */
  markWaiting(key: string, jobId: string): Promise<void>;
  /** `jobId` no longer waits (it got its result, gave up or was cancelled). */
  stopWaiting(key: string, jobId: string): Promise<void>;
  /** Whether any job still waits on the holder of `key`: then a cancelled holder's call goes on for them. */
  hasWaiters(key: string): Promise<boolean>;
}

/** A waiter that stops renewing (its worker died) no longer counts after this long. */
const WAITER_TTL_MS = 3000;

/**
 * Single flight for LLM calls across every worker process: `SET NX PX` on a Redis key. A
 * holder that dies stops renewing, the lease expires, and a waiter takes it over.
 */
export function createLeaseManager(redis: Redis, keyPrefix: string, ttlMs: number): LeaseManager {
  const leaseKey = (key: string) => `${keyPrefix}:lease:${key}`;
  /** The lease `k` is ours: renew it until released. */
  const held = (k: string, owner: string): Lease => {
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
  };
  return {
    async acquire(key, owner) {
      const k = leaseKey(key);
      const ok = await redis.set(k, owner, 'PX', ttlMs, 'NX');
      if (ok !== 'OK' && (await redis.eval(RENEW, 1, k, owner, String(ttlMs))) !== 1) return null;
      return held(k, owner);
    },
    async acquireUnlessFilled(key, owner, entryKey) {
      const k = leaseKey(key);
      const [filled, value] = (await redis.eval(FILLED_OR_ACQUIRE, 2, k, entryKey, owner, String(ttlMs))) as [
        number,
        string | number,
      ];
      if (filled === 1) return { filled: String(value) };
      return value === 1 ? { lease: held(k, owner) } : null;
    },
    async isHeld(key) {
      return (await redis.exists(leaseKey(key))) === 1;
    },
    // A sorted set of waiters scored by when their mark lapses: no waiter leaks if its worker dies.
    async markWaiting(key, jobId) {
      const k = `${leaseKey(key)}:waiters`;
      await redis
        .multi()
        .zadd(k, Date.now() + WAITER_TTL_MS, jobId)
        .pexpire(k, WAITER_TTL_MS * 2)
        .exec()
        .catch(() => undefined);
    },
    async stopWaiting(key, jobId) {
      await redis.zrem(`${leaseKey(key)}:waiters`, jobId).catch(() => undefined);
    },
    async hasWaiters(key) {
      const n = await redis.zcount(`${leaseKey(key)}:waiters`, Date.now(), '+inf').catch(() => 0);
      return n > 0;
    },
  };
}
