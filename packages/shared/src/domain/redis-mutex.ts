import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface MutexOptions {
  /** The lock expires after this long even if its holder dies. @defaultValue 5000 */
  ttlMs?: number;
  /** Give up (and throw) after waiting this long. @defaultValue 3000 */
  waitMs?: number;
}

/** Raised when a mutex could not be taken in time. */
export class MutexTimeoutError extends Error {
  override readonly name = 'MutexTimeoutError';
}

/** Runs `fn` while holding the Redis lock `key` (`SET NX PX`, released only by its owner). */
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
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
