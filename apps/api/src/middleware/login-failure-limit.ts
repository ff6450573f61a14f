import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { AppError } from '@vectort/shared';
import type { RateLimitedCounter } from './rate-limit';

/** API.md, "Rate limits": 10 failed logins per 15 minutes per (email, client IP). */
export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;
const POLICY = 'login-failures';

export interface LoginFailureLimit {
  /** 429 while the (email, IP) pair is locked out; call before checking the password. */
  assertAllowed(req: Request, res: Response, email: string): Promise<void>;
  /** Counts a wrong password for the pair; the window starts at the first failure. */
  recordFailure(req: Request, email: string): Promise<void>;
  /** A right password clears the pair's count. */
  reset(req: Request, email: string): Promise<void>;
}

/**
 * Failed logins per account and client IP, in Redis so every API instance counts together.
 * Per pair, not per account: a guesser locks out only their own address, never the account's
 * owner elsewhere; and per pair, not per IP: rotating forged `X-Forwarded-For` values (when
 * TRUST_PROXY trusts a client-reachable hop) gives no more guesses at one account than the
 * real address does once TRUST_PROXY is set right. Redis failures fail closed (503), like the
 * other limiters. The email is hashed in the key: Redis never holds the address itself.
 */
export function createLoginFailureLimit(options: {
  redis: Redis;
  keyPrefix: string;
  rateLimited?: RateLimitedCounter;
  limit?: number;
  windowMs?: number;
}): LoginFailureLimit {
  const { redis } = options;
  const limit = options.limit ?? LOGIN_FAILURE_LIMIT;
  const windowMs = options.windowMs ?? LOGIN_FAILURE_WINDOW_MS;
  const key = (req: Request, email: string) => {
    const account = createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
    return `${options.keyPrefix}:login-fail:${account}:${ipKeyGenerator(req.ip ?? 'unknown', 56)}`;
  };
  return {
    async assertAllowed(req, res, email) {
      const replies = await redis.multi().get(key(req, email)).pttl(key(req, email)).exec();
      const count = Number(replies?.[0]?.[1] ?? 0);
      if (count < limit) return;
      const pttl = Number(replies?.[1]?.[1] ?? windowMs);
      const retryAfter = Math.max(1, Math.ceil((pttl > 0 ? pttl : windowMs) / 1000));
      res.setHeader('RateLimit-Policy', `"${POLICY}"; q=${limit}; w=${Math.round(windowMs / 1000)}`);
      res.setHeader('RateLimit', `"${POLICY}"; r=0; t=${retryAfter}`);
      options.rateLimited?.inc({ route: POLICY, plan: 'anonymous' });
      req.log.warn('login_locked_out', { retry_after_s: retryAfter });
      throw new AppError(
        'rate_limited',
        429,
        'Too many failed logins for this account from this address, try again later',
        undefined,
        retryAfter,
      );
    },
    async recordFailure(req, email) {
      const k = key(req, email);
      await redis.multi().incr(k).pexpire(k, windowMs, 'NX').exec();
    },
    async reset(req, email) {
      await redis.del(key(req, email));
    },
  };
}
