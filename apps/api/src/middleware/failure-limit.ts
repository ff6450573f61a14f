import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { AppError } from '@vectort/shared';
import type { RateLimitedCounter } from './rate-limit';

/** API.md, "Rate limits": 10 failed logins per 15 minutes per (email, client IP). */
export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;
/** Bull Board's Basic auth: this many wrong credentials per client IP per 15 minutes, then 429. */
export const ADMIN_FAILURE_LIMIT = 10;

export interface FailureLimit {
  /** 429 while the (subject, client IP) pair is locked out; call before checking the secret. */
  assertAllowed(req: Request, res: Response, subject: string): Promise<void>;
  /** Counts a wrong secret for the pair; the window starts at the first failure. */
  recordFailure(req: Request, subject: string): Promise<void>;
  /** A right secret clears the pair's count. */
  reset(req: Request, subject: string): Promise<void>;
}

export interface FailureLimitOptions {
  redis: Redis;
  keyPrefix: string;
  /** Names the limit: its Redis keys, the `RateLimit` policy and the metric's route label. */
  name: string;
  /** Failures allowed per window; the next attempt is 429 until the window ends. */
  limit: number;
  windowMs: number;
  /** The 429's message. */
  message: string;
  rateLimited?: RateLimitedCounter;
}

/**
 * Failed attempts at a secret (a password, admin credentials) per subject and client IP, in
 * Redis so every API instance counts together; once over the limit even the right secret gets
 * 429 until the window ends, so guessing stops. Login uses the email as subject: a guesser
 * locks out only their own address, never the account's owner elsewhere, and rotating forged
 * `X-Forwarded-For` values gives nothing while TRUST_PROXY trusts only the real proxy. Redis
 * failures fail closed (503), like the other limiters. Subjects are hashed in the key: Redis
 * never holds an email address.
 */
export function createFailureLimit(options: FailureLimitOptions): FailureLimit {
  const { redis, limit, windowMs, name } = options;
  const key = (req: Request, subject: string) => {
    const hashed = createHash('sha256').update(subject.trim().toLowerCase()).digest('base64url').slice(0, 22);
    return `${options.keyPrefix}:fail:${name}:${hashed}:${ipKeyGenerator(req.ip ?? 'unknown', 56)}`;
  };
  return {
    async assertAllowed(req, res, subject) {
      const k = key(req, subject);
      const replies = await redis.multi().get(k).pttl(k).exec();
      const count = Number(replies?.[0]?.[1] ?? 0);
      if (count < limit) return;
      const pttl = Number(replies?.[1]?.[1] ?? windowMs);
      const retryAfter = Math.max(1, Math.ceil((pttl > 0 ? pttl : windowMs) / 1000));
      res.setHeader('RateLimit-Policy', `"${name}"; q=${limit}; w=${Math.round(windowMs / 1000)}`);
      res.setHeader('RateLimit', `"${name}"; r=0; t=${retryAfter}`);
      options.rateLimited?.inc({ route: name, plan: 'anonymous' });
      req.log.warn('locked_out', { limit: name, retry_after_s: retryAfter });
      throw new AppError('rate_limited', 429, options.message, undefined, retryAfter);
    },
    async recordFailure(req, subject) {
      const k = key(req, subject);
      await redis.multi().incr(k).pexpire(k, windowMs, 'NX').exec();
    },
    async reset(req, subject) {
      await redis.del(key(req, subject));
    },
  };
}

/** The login limit of API.md: 10 failures per 15 minutes per (email, client IP). */
export function createLoginFailureLimit(
  options: Pick<FailureLimitOptions, 'redis' | 'keyPrefix' | 'rateLimited'>,
): FailureLimit {
  return createFailureLimit({
    ...options,
    name: 'login-failures',
    limit: LOGIN_FAILURE_LIMIT,
    windowMs: LOGIN_FAILURE_WINDOW_MS,
    message: 'Too many failed logins for this account from this address, try again later',
  });
}

/** Bull Board's Basic auth: {@link ADMIN_FAILURE_LIMIT} failures per 15 minutes per client IP. */
export function createAdminFailureLimit(
  options: Pick<FailureLimitOptions, 'redis' | 'keyPrefix' | 'rateLimited'>,
): FailureLimit {
  return createFailureLimit({
    ...options,
    name: 'admin-login-failures',
    limit: ADMIN_FAILURE_LIMIT,
    windowMs: LOGIN_FAILURE_WINDOW_MS,
    message: 'Too many failed admin logins from this address, try again later',
  });
}
