import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface MutexOptions {
  /**
   * The lock expires this long after its holder dies (a live holder renews it every third of
   * it, so a write stalled by a store outage keeps it). @defaultValue 5000
   */
  ttlMs?: number;
  /** Give up (and throw) after waiting this long. @defaultValue 3000 */
  waitMs?: number;
}

/** Raised when a mutex could not be taken in time. */
export class MutexTimeoutError extends Error {
  override readonly name = 'MutexTimeoutError';
}

/**
 * Runs `fn` while holding the Redis lock `key` (`SET NX PX`, renewed and released only by its
 * owner). Renewed because what it guards may be a read-modify-write (FerretDB's conditional
 * updates): a holder whose MongoDB call waits out an outage must not find a second holder
 * beside it when the call goes through.
 */
export async function withRedisMutex<T>(
  redis: Redis,
  key: string,
  fn: () => Promise<T>,
  options: MutexOptions = {},
): Promise<T> {
  const token = randomBytes(12).toString('hex');
  const ttlMs = options.ttlMs ?? 5000;
  const deadline = Date.now() + (options.waitMs ?? 3000);
  let delay = 2;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new MutexTimeoutError(`Timed out waiting for lock ${key}`);
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
  const renewal = setInterval(
    () => void redis.eval(RENEW, 1, key, token, String(ttlMs)).catch(() => undefined),
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  renewal.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renewal);
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
