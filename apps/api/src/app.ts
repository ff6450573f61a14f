import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import {
  createCreditsLedger,
  createGenerationStore,
  createJobViewCache,
  createMetrics,
  createUserDocumentLock,
  createUserPlanMirror,
  generatorVersion,
  type Config,
  type ErrorReporter,
  type Logger,
  type QueueName,
} from '@vectort/shared';
import { BULL_BOARD_PATH, bullBoardRouter } from './admin/bull-board';
import './http/request-state';
import { authenticate, requireAuth, settleAuthBeforeErrors } from './middleware/auth';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { createAdminFailureLimit, createLoginFailureLimit } from './middleware/failure-limit';
import { createLimiter, createPlanLimiter, rateLimitedCounter, userKey } from './middleware/rate-limit';
import { requestContext } from './middleware/request-context';
import { securityHeaders } from './middleware/security-headers';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { authRoutes } from './routes/auth.routes';
import { creditsRoutes } from './routes/credits.routes';
import { docsRoutes } from './routes/docs.routes';
import { editsRoutes } from './routes/edits.routes';
import { exportRoutes } from './routes/export.routes';
import { generateRoutes } from './routes/generate.routes';
import { healthRoutes } from './routes/health.routes';
import { jobsRoutes } from './routes/jobs.routes';
import { metricsRoutes } from './routes/metrics.routes';
import { projectsRoutes } from './routes/projects.routes';
import { usersRoutes } from './routes/users.routes';
import { webhooksRoutes } from './routes/webhooks.routes';
import { createEditsService } from './services/edits.service';
import { createGenerationsService } from './services/generations.service';
import { createHitCeiling } from './services/hit-ceiling';
import { createIdempotencyService } from './services/idempotency.service';
import { createExportsService } from './services/exports.service';
import type { JobWatcher } from './services/job-watcher';
import { createJobCancelService } from './services/job-cancel.service';
import { createJobsService } from './services/jobs.service';
import { createStreamSlots } from './services/stream-slots';
import { createPaymentProvider } from './services/payments/create-payment-provider';
import { registerApiGauges } from './services/api-gauges';
import { createProjectOwners } from './services/project-owners';
import { createProjectsService } from './services/projects.service';
import { createPurchasesService } from './services/purchases.service';
import { createTokenRevocations } from './services/token-revocations';
import { createTokenService } from './services/token.service';
import { createUsersService } from './services/users.service';
import { createWebhooksService } from './services/webhooks.service';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Db;
  /** A request-role client: fails fast when Redis is down. */
  redis: Redis;
  s3: S3Client;
  metrics: Registry;
  /** Sentry (or nothing): where 5xx errors are reported. */
  errorReporter?: ErrorReporter;
  /** Producers for every queue. */
  queues: Record<QueueName, Queue>;
  /** Wakes long-polls and event streams when a worker announces a job change. */
  watcher: JobWatcher;
}

/** Builds the Express app from real clients; `main.ts` and the tests both call it. */
export function createApp(deps: AppDeps): Express {
  const { config, db, redis } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);

  const userLock = createUserDocumentLock(redis, config.redisKeyPrefix);
  const plans = createUserPlanMirror(redis, config.redisKeyPrefix);
  const users = createUsersService(db, userLock, plans);
  const store = createGenerationStore({
    db,
    redis,
    keyPrefix: config.redisKeyPrefix,
    ttlSeconds: config.cacheTtlSeconds,
  });
  const projects = createProjectsService(db, { s3: deps.s3, bucket: config.s3.bucket }, store);
  const tokens = createTokenService(config.jwt);
  const revocations = createTokenRevocations({
    db,
    redis,
    keyPrefix: config.redisKeyPrefix,
    ttlSeconds: config.jwt.ttlSeconds,
    lock: userLock,
  });
  const jobs = createJobsService(db, deps.queues, createJobViewCache(redis, config.redisKeyPrefix));
  const owners = createProjectOwners(db, redis, config.redisKeyPrefix);
  const rateLimited = rateLimitedCounter(deps.metrics);
  const hitCeiling = createHitCeiling({
    redis,
    keyPrefix: config.redisKeyPrefix,
    perMinute: config.rateLimits.hitsPerMinute,
    rateLimited,
  });
  const generations = createGenerationsService({
    db,
    store,
    ledger: createCreditsLedger({ db, redis, keyPrefix: config.redisKeyPrefix }),
    jobs,
    owners,
    costCredits: config.generationCostCredits,
    generatorVersion: generatorVersion(config.llm),
    hitCeiling,
    plans,
  });
  const auth = requireAuth(tokens, users, revocations);
  const metrics = createMetrics(deps.metrics);
  const activeUsers = registerApiGauges({
    registry: deps.metrics,
    queues: deps.queues,
    db,
    redis,
    keyPrefix: config.redisKeyPrefix,
  });
  const limiter = (name: string, windowMs: number, limit: number) =>
    createLimiter({ redis, keyPrefix: config.redisKeyPrefix, name, windowMs, limit, rateLimited });
  const planLimits = { generate: config.rateLimits.generatePerMinute, export: config.rateLimits.exportPerMinute };
  /** Per-user limiters by plan (API.md, "Rate limits"); they run after the user is loaded. */
  const planLimiter = (name: keyof typeof planLimits) =>
    createPlanLimiter({ redis, keyPrefix: config.redisKeyPrefix, name, perMinute: planLimits[name], rateLimited });
  const generateLimiter = planLimiter('generate');

  app.use(requestContext(deps.logger, metrics, activeUsers));
  app.use(securityHeaders());
  // Bull Board 9 works under helmet's default CSP (checked in headless Chromium). Unset credentials: not mounted (404).
  if (config.adminUser && config.adminPassword) {
    app.use(
      BULL_BOARD_PATH,
      bullBoardRouter({
        queues: deps.queues,
        user: config.adminUser,
        password: config.adminPassword,
        failures: createAdminFailureLimit({ redis, keyPrefix: config.redisKeyPrefix, rateLimited }),
      }),
    );
  }
  app.use(express.json({ limit: '1mb' }));

  // First of the routers: a cache hit is the hottest path, and every router mounted before it
  // is entered and scanned on each request (six of them cost about 6 % of a hit's CPU).
  app.use(
    '/api',
    generateRoutes({
      auth,
      authenticate: authenticate(tokens, revocations),
      cacheRequests: metrics.cacheRequests,
      users,
      plans,
      projects,
      generations,
      idempotency: createIdempotencyService(redis, config.redisKeyPrefix),
      owners,
      generateLimiter,
      allowPrivateWebhooks: config.webhookAllowPrivateNetworks,
    }),
  );

  app.use(healthRoutes({ db, redis, s3: deps.s3, bucket: config.s3.bucket }));
  app.use(docsRoutes({ document: buildOpenApiDocument() }));
  app.use(
    metricsRoutes({ registry: deps.metrics, token: config.metricsToken, production: config.nodeEnv === 'production' }),
  );
  app.use(
    '/api/auth',
    authRoutes({
      users,
      tokens,
      revocations,
      auth,
      loginFailures: createLoginFailureLimit({ redis, keyPrefix: config.redisKeyPrefix, rateLimited }),
      registerLimiter: limiter('register', 3_600_000, config.rateLimits.registerPerHour),
      loginLimiter: limiter('login', 60_000, config.rateLimits.loginPerMinute),
    }),
  );
  app.use('/api', usersRoutes({ users, auth }));
  app.use('/api/projects', projectsRoutes({ projects, owners, auth }));
  app.use(
    '/api',
    editsRoutes({
      auth,
      authenticate: authenticate(tokens, revocations),
      cacheRequests: metrics.cacheRequests,
      users,
      generations,
      hitCeiling,
      edits: createEditsService({
        db,
        store,
        ledger: createCreditsLedger({ db, redis, keyPrefix: config.redisKeyPrefix }),
        jobs,
        costCredits: config.generationCostCredits,
        generatorVersion: generatorVersion(config.llm),
        maxInputBytes: config.editMaxInputBytes,
      }),
      idempotency: createIdempotencyService(redis, config.redisKeyPrefix),
      generateLimiter,
      allowPrivateWebhooks: config.webhookAllowPrivateNetworks,
    }),
  );
  app.use(
    '/api',
    exportRoutes({
      auth,
      projects,
      exports: createExportsService({
        db,
        s3: deps.s3,
        bucket: config.s3.bucket,
        urlTtlSeconds: config.exportUrlTtlSeconds,
        jobs,
      }),
      jobs,
      watcher: deps.watcher,
      exportLimiter: planLimiter('export'),
      allowPrivateWebhooks: config.webhookAllowPrivateNetworks,
    }),
  );
  app.use(
    '/api/jobs',
    jobsRoutes({
      auth: authenticate(tokens, revocations),
      jobs,
      watcher: deps.watcher,
      redis,
      keyPrefix: config.redisKeyPrefix,
      slots: createStreamSlots(redis, config.redisKeyPrefix, config.maxStreamsPerUser),
      cancels: createJobCancelService({
        db,
        redis,
        keyPrefix: config.redisKeyPrefix,
        queues: deps.queues,
        finish: {
          db,
          redis,
          keyPrefix: config.redisKeyPrefix,
          ledger: createCreditsLedger({ db, redis, keyPrefix: config.redisKeyPrefix }),
          webhookQueue: deps.queues.webhook,
          logger: deps.logger,
          metrics,
          model: config.llm.provider === 'offline' ? 'offline-template-v1' : config.llm.model,
        },
      }),
    }),
  );
  app.use('/api/webhooks', webhooksRoutes({ auth, webhooks: createWebhooksService(db) }));
  app.use(
    '/api/credits',
    creditsRoutes({
      db,
      auth,
      purchases: createPurchasesService({
        db,
        ledger: createCreditsLedger({ db, redis, keyPrefix: config.redisKeyPrefix }),
        provider: createPaymentProvider(config, deps.logger),
      }),
      purchaseLimiter: createLimiter({
        redis,
        keyPrefix: config.redisKeyPrefix,
        name: 'purchase',
        windowMs: 3_600_000,
        limit: config.rateLimits.purchasePerHour,
        keyGenerator: userKey,
        rateLimited,
      }),
    }),
  );

  app.use(notFoundHandler);
  app.use(settleAuthBeforeErrors);
  app.use(errorHandler(deps.errorReporter));
  return app;
}
