import type { Request, RequestHandler } from 'express';
import { rateLimit, ipKeyGenerator, type Options, type RateLimitInfo } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Redis } from 'ioredis';
import { AppError, UnavailableError } from '@vectort/shared';

export interface LimiterOptions {
  redis: Redis;
  /** Redis key prefix of this deployment. */
  keyPrefix: string;
  /** Names the limiter: its own Redis keys and the `RateLimit` header's policy name. */
  name: string;
  windowMs: number;
  limit: number | ((req: Request) => number);
  /** Defaults to the client IP (IPv6 grouped by /56). */
  keyGenerator?: (req: Request) => string;
  /** Skipped requests are not counted (enterprise users, say). */
  skip?: (req: Request) => boolean;
}

/**
 * A Redis-backed limiter shared by every API instance, answering 429 `rate_limited` with
 * IETF draft-8 `RateLimit`/`RateLimit-Policy` headers and `Retry-After`. When Redis cannot be
 * reached it fails closed: 503 `unavailable`, never an unlimited pass.
 */
export function createLimiter(options: LimiterOptions): RequestHandler {
  const store = new RedisStore({
    sendCommand: (command: string, ...args: string[]) => options.redis.call(command, ...args) as Promise<RedisReply>,
    prefix: `${options.keyPrefix}:rl:${options.name}:`,
  });
  const config: Partial<Options> = {
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: options.name,
    store,
    passOnStoreError: false,
    keyGenerator: options.keyGenerator ?? ((req) => ipKeyGenerator(req.ip ?? 'unknown', 56)),
    skip: options.skip,
    handler: (req, res, next) => {
      const resetTime = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
      const retryAfter = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(options.windowMs / 1000);
      next(new AppError('rate_limited', 429, 'Too many requests, slow down', undefined, retryAfter));
    },
  };
  const limiter = rateLimit(config);
  return (req, res, next) => {
    void limiter(req, res, (err?: unknown) => {
      if (err === undefined || err instanceof AppError) next(err);
      else {
        req.log.warn('rate_limiter_unavailable', { limiter: options.name, error: err });
        next(new UnavailableError('Rate limiter unavailable'));
      }
    });
  };
}
