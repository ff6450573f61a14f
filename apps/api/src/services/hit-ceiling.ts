import type { Redis } from 'ioredis';
import type { ObjectId } from 'mongodb';
import { AppError, type HitCount, type HitTally } from '@vectort/shared';
import type { RateLimitedCounter } from '../middleware/rate-limit';

const WINDOW_MS = 60_000;
/** The policy name in the `RateLimit` headers and the `route` label of `vectort_rate_limited_total`. */
const NAME = 'hits';

/** A 429 with the draft-8 `RateLimit`/`RateLimit-Policy` headers the error middleware sends. */
export class RateLimitedError extends AppError {
  constructor(
    readonly headers: Record<string, string>,
    retryAfterSeconds: number,
  ) {
    super('rate_limited', 429, 'Too many requests, slow down', undefined, retryAfterSeconds);
  }
}

export interface HitCeiling {
  /** What the cache probe counts for `userId`, in its own round trip. */
  counter(userId: ObjectId): HitCount;
  /** Throws {@link RateLimitedError} when `tally` is over the ceiling. */
  check(tally: HitTally | undefined): void;
  /** Counts a hit the probe did not (one MongoDB's tier answered) and checks it. */
  take(userId: ObjectId): Promise<void>;
}

export interface HitCeilingOptions {
  redis: Redis;
  keyPrefix: string;
  /** `RATE_LIMIT_HITS_PER_MINUTE`. */
  perMinute: number;
  rateLimited?: RateLimitedCounter;
}

/**
 * Cache hits cost nothing and skip the plan's limiter, so they get a ceiling of their own
 * (API.md, "Rate limits"): a fixed one-minute window per user, shared by every API instance,
 * counted by the cache probe itself so a hit still costs one Redis round trip.
 */
export function createHitCeiling(options: HitCeilingOptions): HitCeiling {
  const { redis, perMinute } = options;
  const key = (userId: ObjectId) => `${options.keyPrefix}:rl:${NAME}:${userId.toHexString()}`;

  function check(tally: HitTally | undefined): void {
    if (!tally || tally.count <= perMinute) return;
    options.rateLimited?.inc({ route: NAME, plan: 'unknown' });
    const resetSeconds = Math.max(1, Math.ceil(tally.resetMs / 1000));
    throw new RateLimitedError(
      {
        RateLimit: `"${NAME}"; r=0; t=${resetSeconds}`,
        'RateLimit-Policy': `"${NAME}"; q=${perMinute}; w=${WINDOW_MS / 1000}`,
      },
      resetSeconds,
    );
  }

  return {
    counter: (userId) => ({ key: key(userId), windowMs: WINDOW_MS }),
    check,
    async take(userId) {
      const replies = await redis
        .multi()
        .incr(key(userId))
        .pexpire(key(userId), WINDOW_MS, 'NX')
        .pttl(key(userId))
        .exec();
      const [count, , resetMs] = (replies ?? []).map(([err, value]) => {
        if (err) throw err;
        return Number(value);
      });
      check({ count: count ?? 0, resetMs: resetMs ?? WINDOW_MS });
    },
  };
}
