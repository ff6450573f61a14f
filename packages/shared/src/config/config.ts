import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PLANS, type Plan } from '../domain/plan';

/** Raised when the environment holds a missing or malformed value; its message is one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const port = int(1, 65535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** `free=10,starter=30,pro=100`; a plan left out keeps its default, enterprise is unlimited unless named. */
const planLimits = z.string().transform((raw, ctx) => {
  const limits: Record<Plan, number | null> = { free: 10, starter: 30, pro: 100, enterprise: null };
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [plan, value] = part.split('=').map((p) => p.trim());
    const n = Number(value);
    if (!PLANS.includes(plan as Plan) || !Number.isInteger(n) || n < 1) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not plan=positive-integer` });
      return z.NEVER;
    }
    limits[plan as Plan] = n;
  }
  return limits;
});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: port.default(8001),
  TRUST_PROXY: z.string().trim().default('false'),
  MONGO_URL: z.url({ protocol: /^mongodb(\+srv)?$/ }).default('mongodb://127.0.0.1:27017/vectort'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1..64 letters, digits, _ or -')
    .default('vectort'),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(3).default('vectort'),
  S3_FORCE_PATH_STYLE: bool.default(false),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  // S3 caps presigned URLs at 7 days; 1 s is allowed so tests can watch a URL expire.
  EXPORT_URL_TTL_SECONDS: int(1, 604800).default(86400),
  LLM_PROVIDER: z.enum(['openai', 'offline']).optional(),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  LLM_MODEL: z.string().min(1).default('gpt-5-mini'),
  LLM_TIMEOUT_SECONDS: int(1, 3600).default(120),
  LLM_MAX_OUTPUT_TOKENS: int(1, 10_000_000).default(16000),
  OFFLINE_STREAM_CHUNK_MS: int(0, 1000).default(40),
  LLM_PRICES_JSON: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const price = z.object({ input: z.number().min(0), output: z.number().min(0) });
      try {
        const parsed = z.record(z.string().min(1), price).safeParse(JSON.parse(raw));
        if (parsed.success) return parsed.data;
      } catch {
        // reported below
      }
      ctx.addIssue({
        code: 'custom',
        message: 'must be JSON like {"model":{"input":0.25,"output":2}} (USD per 1M tokens)',
      });
      return z.NEVER;
    }),
  RATE_LIMIT_REGISTER_PER_HOUR: int(1, 1_000_000).default(5),
  RATE_LIMIT_LOGIN_PER_MINUTE: int(1, 1_000_000).default(10),
  RATE_LIMIT_GENERATE_PER_MINUTE: planLimits.default({ free: 10, starter: 30, pro: 100, enterprise: null }),
  RATE_LIMIT_EXPORT_PER_MINUTE: planLimits.default({ free: 10, starter: 30, pro: 100, enterprise: null }),
  RATE_LIMIT_PURCHASE_PER_HOUR: int(1, 1_000_000).default(20),
  RATE_LIMIT_HITS_PER_MINUTE: int(1, 10_000_000).default(600),
  PAYMENT_PROVIDER: z.enum(['test', 'none']).optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_TTL_SECONDS: int(60, 90 * 86400).default(7 * 86400),
  // No longer read: admins are a stored flag set by `npm run admin` (issue 11). Only noticed, to warn.
  ADMIN_EMAILS: optionalString,
  ADMIN_USER: optionalString,
  ADMIN_PASSWORD: optionalString,
  SENTRY_DSN: z
    .url()
    .optional()
    .or(z.literal('').transform(() => undefined)),
  SENTRY_ENVIRONMENT: optionalString,
  SENTRY_TRACES_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.1),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  METRICS_TOKEN: optionalString,
  WORKER_METRICS_PORT: port.default(9464),
  WORKER_CONCURRENCY: int(1, 1000).default(10),
  WORKER_LOCK_DURATION_MS: int(1000, 600_000).default(30_000),
  JOB_REQUEUE_AFTER_MS: int(1000, 3_600_000).default(60_000),
  JOB_RECORD_RETENTION_SECONDS: int(1, 365 * 86400).default(7 * 86400),
  MONGO_MAX_CONCURRENT_WRITES: int(1, 1000).default(16),
  LLM_LEASE_TTL_MS: int(1000, 600_000).default(15_000),
  GENERATION_COST_CREDITS: int(0, 1_000_000).default(1),
  CACHE_TTL_SECONDS: int(1, 365 * 86400).default(7 * 86400),
  EDIT_MAX_INPUT_BYTES: int(1, 8 * 1024 * 1024).default(262_144),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool.default(false),
  MAX_STREAMS_PER_USER: int(1, 100_000).default(20),
  WEBHOOK_RETRY_BASE_MS: int(1, 3_600_000).default(10_000),
});

type Env = z.infer<typeof schema>;

/** The typed configuration, parsed once at start and passed down. */
export interface Config {
  nodeEnv: Env['NODE_ENV'];
  /** HTTP port of the API. @defaultValue 8001 */
  port: number;
  /** Express `trust proxy` setting: `false`, `true`, a hop count or a list of subnets. @defaultValue false */
  trustProxy: boolean | number | string;
  mongoUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key and queue, so several deployments (or test files) can share one Redis. @defaultValue "vectort" */
  redisKeyPrefix: string;
  s3: {
    endpoint?: string;
    region: string;
    bucket: string;
    forcePathStyle: boolean;
    accessKeyId?: string;
    secretAccessKey?: string;
  };
  /** Lifetime of presigned download URLs. @defaultValue 86400 */
  exportUrlTtlSeconds: number;
  llm: {
    /** @defaultValue "openai" when OPENAI_API_KEY is set, else "offline" */
    provider: 'openai' | 'offline';
    apiKey?: string;
    baseUrl?: string;
    model: string;
    timeoutSeconds: number;
    /**
     * Sent as `max_completion_tokens` (or `max_tokens` to servers that reject the new name) on
     * every model call, so one credit buys a bounded cost. @defaultValue 16000
     */
    maxOutputTokens?: number;
    /**
     * Pause between the offline provider's live-output chunks (each file goes out in a few), so
     * `npm start` shows files being written; 0 writes them at once. @defaultValue 40
     */
    offlineChunkMs?: number;
    /** USD per 1M input/output tokens by model, over the built-in table. @defaultValue the built-in table only */
    prices?: Record<string, { input: number; output: number }>;
  };
  rateLimits: {
    registerPerHour: number;
    loginPerMinute: number;
    /** Generate misses per minute by plan; `null` is unlimited. */
    generatePerMinute: Record<Plan, number | null>;
    /** ZIP exports per minute by plan; `null` is unlimited. @defaultValue free=10, starter=30, pro=100 */
    exportPerMinute: Record<Plan, number | null>;
    /** Credit purchases per hour per user, every plan alike. @defaultValue 20 */
    purchasePerHour: number;
    /** Cache hits per minute per user, every plan alike: hits are free, not unlimited. @defaultValue 600 */
    hitsPerMinute: number;
  };
  jwt: { secret: string; ttlSeconds: number; generated: boolean };
  /**
   * Whether the retired `ADMIN_EMAILS` is still set. It grants nothing (anyone could register
   * such an address first); admins are made with `npm run admin -- grant <email>`, and a process
   * that sees it set logs one warning.
   */
  adminEmailsIgnored: boolean;
  adminUser?: string;
  adminPassword?: string;
  sentry: { dsn?: string; environment: string; tracesSampleRate: number };
  logLevel: Env['LOG_LEVEL'];
  /**
   * Bearer token of the API's `/api/metrics`. In production the route exists only when it is
   * set (404 otherwise): process and business metrics are not for the public.
   */
  metricsToken?: string;
  workerMetricsPort: number;
  workerConcurrency: number;
  /**
   * How long a worker's hold on a job lasts without renewal; a SIGKILLed worker's job is
   * taken over by another after about this long. @defaultValue 30000
   */
  workerLockDurationMs: number;
  /**
   * An unfinished job untouched this long that BullMQ no longer knows (Redis lost it) is added
   * again from its MongoDB record; the sweep looks every half of this. @defaultValue 60000
   */
  jobRequeueAfterMs: number;
  /**
   * How long a finished job's record stays in MongoDB after it ended; then it goes (a TTL index
   * on MongoDB, the worker's sweep on FerretDB). Its Redis status copy answers polls for 24 h
   * after the end whatever this says. Keep it above the webhook retry span (about 2 days at the
   * default base): a delivery whose job record is gone gives up. @defaultValue 604800 (7 days)
   */
  jobRecordRetentionSeconds: number;
  /**
   * MongoDB writes one process has in flight at once; more wait their turn. FerretDB v1 freezes
   * a database for good when about 100 updates run at once on it (see clients/write-gate.ts).
   * @defaultValue 16
   */
  mongoMaxConcurrentWrites: number;
  /** Lifetime of the single-flight lease on an LLM call, renewed while the call runs. @defaultValue 15000 */
  llmLeaseTtlMs: number;
  generationCostCredits: number;
  cacheTtlSeconds: number;
  /**
   * Largest parent an edit accepts, its files' paths and contents in UTF-8 bytes: the whole set
   * goes into the model's prompt. @defaultValue 262144
   */
  editMaxInputBytes: number;
  webhookAllowPrivateNetworks: boolean;
  /**
   * Event streams and long-polls one user may hold open at once, counted in Redis across every
   * API replica; one more gets 429. @defaultValue 20
   */
  maxStreamsPerUser: number;
  /**
   * First retry delay of a webhook delivery; later ones grow 4x each, up to 4096x, plus up to
   * 25 % jitter (`webhookRetryDelayMs`). Tests shrink it; production keeps the default, which
   * spreads 10 attempts over about 38 h. @defaultValue 10000
   */
  webhookRetryBaseMs: number;
  payments: {
    /**
     * The payment provider of credit purchases; unset means purchases answer 503 and grant
     * nothing. The built-in `test` provider grants at once, so it is used only when
     * PAYMENT_PROVIDER=test says so, whatever NODE_ENV is (`npm start` and `npm test` set it).
     * @defaultValue unset
     */
    provider?: 'test';
  };
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? 'configuration');
  const raw = env[name];
  if (raw === undefined) return `${name} is required: ${issue.message}`;
  return `${name} is malformed: ${issue.message}`;
}

/** Free credits must be asked for by name: no NODE_ENV (or a missing one) turns them on. */
function paymentProvider(named: Env['PAYMENT_PROVIDER']): 'test' | undefined {
  return named === 'test' ? 'test' : undefined;
}

/** Bull Board's Basic auth is brute-forceable from the network: production needs a long password. */
const MIN_PRODUCTION_ADMIN_PASSWORD = 12;

function parseTrustProxy(raw: string): boolean | number | string {
  if (raw === 'true') return true;
  if (raw === 'false' || raw === '') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

/**
 * Parses the environment once. Throws a {@link ConfigError} whose message is one line naming
 * the first missing or malformed variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty value means "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration: ${describeIssue(parsed.error.issues[0]!, cleaned)}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.JWT_SECRET) {
    throw new ConfigError('Invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  }
  if (e.LLM_PROVIDER === 'openai' && !e.OPENAI_API_KEY) {
    throw new ConfigError('Invalid configuration: OPENAI_API_KEY is required when LLM_PROVIDER=openai');
  }
  if (Boolean(e.ADMIN_USER) !== Boolean(e.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: ADMIN_USER and ADMIN_PASSWORD must be set together');
  }
  if (e.NODE_ENV === 'production' && e.ADMIN_PASSWORD && e.ADMIN_PASSWORD.length < MIN_PRODUCTION_ADMIN_PASSWORD) {
    throw new ConfigError(
      `Invalid configuration: ADMIN_PASSWORD must be at least ${MIN_PRODUCTION_ADMIN_PASSWORD} characters when NODE_ENV=production`,
    );
  }
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    mongoUrl: e.MONGO_URL,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      accessKeyId: e.AWS_ACCESS_KEY_ID,
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
    },
    exportUrlTtlSeconds: e.EXPORT_URL_TTL_SECONDS,
    llm: {
      provider: e.LLM_PROVIDER ?? (e.OPENAI_API_KEY ? 'openai' : 'offline'),
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.LLM_MODEL,
      timeoutSeconds: e.LLM_TIMEOUT_SECONDS,
      maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS,
      offlineChunkMs: e.OFFLINE_STREAM_CHUNK_MS,
      prices: e.LLM_PRICES_JSON,
    },
    rateLimits: {
      registerPerHour: e.RATE_LIMIT_REGISTER_PER_HOUR,
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE,
      generatePerMinute: e.RATE_LIMIT_GENERATE_PER_MINUTE,
      exportPerMinute: e.RATE_LIMIT_EXPORT_PER_MINUTE,
      purchasePerHour: e.RATE_LIMIT_PURCHASE_PER_HOUR,
      hitsPerMinute: e.RATE_LIMIT_HITS_PER_MINUTE,
    },
    // Outside production a missing secret gets a random one: tokens then last only as long as the process.
    jwt: {
      secret: e.JWT_SECRET ?? randomBytes(32).toString('base64url'),
      ttlSeconds: e.JWT_TTL_SECONDS,
      generated: !e.JWT_SECRET,
    },
    adminEmailsIgnored: e.ADMIN_EMAILS !== undefined,
    adminUser: e.ADMIN_USER,
    adminPassword: e.ADMIN_PASSWORD,
    sentry: {
      dsn: e.SENTRY_DSN,
      environment: e.SENTRY_ENVIRONMENT ?? e.NODE_ENV,
      tracesSampleRate: e.SENTRY_TRACES_SAMPLE_RATE,
    },
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerLockDurationMs: e.WORKER_LOCK_DURATION_MS,
    jobRequeueAfterMs: e.JOB_REQUEUE_AFTER_MS,
    jobRecordRetentionSeconds: e.JOB_RECORD_RETENTION_SECONDS,
    mongoMaxConcurrentWrites: e.MONGO_MAX_CONCURRENT_WRITES,
    llmLeaseTtlMs: e.LLM_LEASE_TTL_MS,
    generationCostCredits: e.GENERATION_COST_CREDITS,
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    editMaxInputBytes: e.EDIT_MAX_INPUT_BYTES,
    webhookAllowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    maxStreamsPerUser: e.MAX_STREAMS_PER_USER,
    webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    payments: { provider: paymentProvider(e.PAYMENT_PROVIDER) },
  };
}
