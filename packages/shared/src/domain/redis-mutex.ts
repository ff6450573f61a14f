import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
// SET NX PX, and when taken the value of KEYS[2] too: {1, value} or {0}.
const ACQUIRE_READING = `
if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {1, redis.call('get', KEYS[2])} end
return {0}`;

export interface MutexOptions {
  /**
   * The lock expires this long after its holder dies (a live holder renews it every third of
   * it, so a write stalled by a store outage keeps it). @defaultValue 5000
   */
  ttlMs?: number;
  /** Give up (and throw) after waiting this long. @defaultValue 3000 */
  waitMs?: number;
  /** A key read in the round trip that takes the lock (state the holders hand on). @defaultValue none */
  alsoRead?: string;
  /**
   * Adds commands to the round trip that releases the lock, after a success (the holders'
   * hand-on state, written back). @defaultValue none
   */
  onRelease?: (multi: ChainableCommander) => void;
}

/** Replies of a MULTI, one `[error, result]` per command. */
export type BatchReplies = [Error | null, unknown][];

/** The lock while `fn` holds it. */
export interface HeldMutex {
  /** The value of `alsoRead` when the lock was taken. */
  readonly alsoRead: string | null;
  /**
   * Releases the lock in the round trip of `multi` (its commands, then the release, sent as
   * one MULTI when `fn` returns), instead of a round trip of its own. Resolves with the replies
   * of `multi`'s own commands; rejects when the MULTI could not run (the lock is then released
   * on its own, or lapses after its TTL) or when `fn` throws (then `multi` is not sent). Await
   * it after `fn` has returned.
   */
  releaseWith(multi: ChainableCommander): Promise<BatchReplies>;
}

/** Raised when a mutex could not be taken in time. */
export class MutexTimeoutError extends Error {
  override readonly name = 'MutexTimeoutError';
}

interface Carrier {
  multi: ChainableCommander;
  resolve: (r: BatchReplies) => void;
  reject: (e: unknown) => void;
}

/** One try at the lock: whether it was taken, and the `alsoRead` value read with it. */
async function tryAcquire(
  redis: Redis,
  key: string,
  token: string,
  ttlMs: number,
  alsoRead: string | undefined,
): Promise<{ taken: boolean; value: string | null }> {
  if (alsoRead === undefined) return { taken: (await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK', value: null };
  const [taken, value] = (await redis.eval(ACQUIRE_READING, 2, key, alsoRead, token, String(ttlMs))) as [
    number,
    string | null | undefined,
  ];
  return { taken: taken === 1, value: value ?? null };
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
  fn: (held: HeldMutex) => Promise<T>,
  options: MutexOptions = {},
): Promise<T> {
  const token = randomBytes(12).toString('hex');
  const ttlMs = options.ttlMs ?? 5000;
  const deadline = Date.now() + (options.waitMs ?? 3000);
  let delay = 2;
  let acquired = await tryAcquire(redis, key, token, ttlMs, options.alsoRead);
  while (!acquired.taken) {
    if (Date.now() > deadline) throw new MutexTimeoutError(`Timed out waiting for lock ${key}`);
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
    acquired = await tryAcquire(redis, key, token, ttlMs, options.alsoRead);
  }
  const renewal = setInterval(
    () => void redis.eval(RENEW, 1, key, token, String(ttlMs)).catch(() => undefined),
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  renewal.unref();
  let carrier: Carrier | null = null;
  const held: HeldMutex = {
    alsoRead: acquired.value,
    releaseWith(multi) {
      const replies = new Promise<BatchReplies>((resolve, reject) => {
        carrier = { multi, resolve, reject };
      });
      // Awaited by the caller once `fn` has returned; never an unhandled rejection meanwhile.
      replies.catch(() => undefined);
      return replies;
    },
  };
  let result: T;
  try {
    result = await fn(held);
  } catch (err) {
    clearInterval(renewal);
    // The carrier's commands belonged to a success: they are not sent.
    (carrier as Carrier | null)?.reject(err);
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    throw err;
  }
  clearInterval(renewal);
  await release(redis, key, token, carrier, options.onRelease);
  return result;
}

/** The release, with what `onRelease` adds, as the last commands of one MULTI (the carrier's, if any). */
async function release(
  redis: Redis,
  key: string,
  token: string,
  carrier: Carrier | null,
  onRelease: MutexOptions['onRelease'],
): Promise<void> {
  if (!carrier && !onRelease) {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    return;
  }
  const multi = carrier?.multi ?? redis.multi();
  const before = multi.length;
  onRelease?.(multi);
  const own = multi.length - before + 1;
  try {
    const replies = (await multi.eval(RELEASE, 1, key, token).exec()) as BatchReplies | null;
    if (!replies) throw new Error('MULTI was discarded');
    carrier?.resolve(replies.slice(0, replies.length - own));
    return;
  } catch (err) {
    carrier?.reject(err);
  }
  await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
}
