import type { Request, RequestHandler } from 'express';
import { rateLimit, ipKeyGenerator, type Options, type RateLimitInfo } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { AppError, UnavailableError, type Plan } from '@vectort/shared';

/** `vectort_rate_limited_total{route,plan}`: route is the limiter's name, plan `anonymous` for IP-keyed limiters. */
export type RateLimitedCounter = Counter<'route' | 'plan'>;

const RATE_LIMITED_METRIC = 'vectort_rate_limited_total';

/** The 429 counter on `registry`, created on first use so every limiter of an app shares it. */
export function rateLimitedCounter(registry: Registry): RateLimitedCounter {
  const existing = registry.getSingleMetric(RATE_LIMITED_METRIC);
  if (existing) return existing as RateLimitedCounter;
  return new Counter({
    name: RATE_LIMITED_METRIC,
    help: 'Requests answered 429 by a rate limiter, by limiter name and user plan',
    labelNames: ['route', 'plan'],
    registers: [registry],
  });
}

/** Keys a limiter by the authenticated user; the limiter must run after authentication. */
export function userKey(req: Request): string {
  return (req.user?._id ?? req.userId)!.toHexString();
}

/** The authenticated user's plan: from the user read for this request, or from its Redis mirror. */
const planOf = (req: Request): Plan | undefined => req.user?.plan ?? req.plan;

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
  /** Counts every 429 this limiter answers. */
  rateLimited?: RateLimitedCounter;
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
      options.rateLimited?.inc({ route: options.name, plan: planOf(req) ?? 'anonymous' });
      const resetTime = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
      const retryAfter = resetTime
        ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
        : Math.ceil(options.windowMs / 1000);
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

export interface PlanLimiterOptions {
  redis: Redis;
  keyPrefix: string;
  /** The limited route (`generate`, `export`): its Redis keys, policy name and metric label. */
  name: string;
  /** Requests per minute by plan; a `null` plan is unlimited and not counted at all. */
  perMinute: Record<Plan, number | null>;
  rateLimited?: RateLimitedCounter;
}

/**
 * A per-user limiter whose figure depends on the user's plan (API.md, "Rate limits"). It reads
 * `req.plan` or `req.user`, so it runs after `requireAuth` (or `loadUser`, or the plan's Redis
 * mirror); a plan change applies on the next request, within the same window.
 */
export function createPlanLimiter(options: PlanLimiterOptions): RequestHandler {
  const { perMinute } = options;
  const limiter = createLimiter({
    redis: options.redis,
    keyPrefix: options.keyPrefix,
    name: options.name,
    windowMs: 60_000,
    limit: (req) => perMinute[planOf(req)!] ?? Number.MAX_SAFE_INTEGER,
    keyGenerator: userKey,
    skip: (req) => perMinute[planOf(req)!] === null,
    rateLimited: options.rateLimited,
  });
  return (req, res, next) => {
    // A wiring mistake, not an outage: let it be a 500 rather than the limiter's 503.
    if (!planOf(req)) throw new Error(`plan limiter "${options.name}" runs before the user's plan is known`);
    limiter(req, res, next);
  };
}
