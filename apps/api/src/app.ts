import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { createCreditsLedger, createGenerationStore, generatorVersion, type Config, type Logger, type QueueName } from '@vectort/shared';
import './http/request-state';
import { requireAuth } from './middleware/auth';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { createLimiter } from './middleware/rate-limit';
import { requestContext } from './middleware/request-context';
import { authRoutes } from './routes/auth.routes';
import { creditsRoutes } from './routes/credits.routes';
import { generateRoutes } from './routes/generate.routes';
import { healthRoutes } from './routes/health.routes';
import { jobsRoutes } from './routes/jobs.routes';
import { metricsRoutes } from './routes/metrics.routes';
import { projectsRoutes } from './routes/projects.routes';
import { usersRoutes } from './routes/users.routes';
import { createGenerationsService } from './services/generations.service';
import { createIdempotencyService } from './services/idempotency.service';
import type { JobWatcher } from './services/job-watcher';
import { createJobsService } from './services/jobs.service';
import { createProjectsService } from './services/projects.service';
import { createTokenService } from './services/token.service';
import { createUsersService } from './services/users.service';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Db;
  /** A request-role client: fails fast when Redis is down. */
  redis: Redis;
  s3: S3Client;
  metrics: Registry;
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

  const users = createUsersService(db);
  const projects = createProjectsService(db);
  const tokens = createTokenService(config.jwt);
  const jobs = createJobsService(db, deps.queues);
  const generations = createGenerationsService({
    db,
    store: createGenerationStore({ db, redis, keyPrefix: config.redisKeyPrefix, ttlSeconds: config.cacheTtlSeconds }),
    ledger: createCreditsLedger({ db, redis, keyPrefix: config.redisKeyPrefix }),
    jobs,
    costCredits: config.generationCostCredits,
    generatorVersion: generatorVersion(config.llm),
  });
  const auth = requireAuth(tokens, users);
  const limiter = (name: string, windowMs: number, limit: number) =>
    createLimiter({ redis, keyPrefix: config.redisKeyPrefix, name, windowMs, limit });
  const perPlan = config.rateLimits.generatePerMinute;
  const generateLimiter = createLimiter({
    redis,
    keyPrefix: config.redisKeyPrefix,
    name: 'generate',
    windowMs: 60_000,
    limit: (req) => perPlan[req.user!.plan] ?? Number.MAX_SAFE_INTEGER,
    keyGenerator: (req) => req.user!._id.toHexString(),
    skip: (req) => perPlan[req.user!.plan] === null,
  });

  app.use(requestContext(deps.logger));
  app.use(helmet());
  app.use(express.json({ limit: '1mb' }));

  app.use(healthRoutes({ db, redis, s3: deps.s3, bucket: config.s3.bucket }));
  app.use(metricsRoutes({ registry: deps.metrics, token: config.metricsToken }));
  app.use(
    '/api/auth',
    authRoutes({
      users,
      tokens,
      adminEmails: config.adminEmails,
      registerLimiter: limiter('register', 3_600_000, config.rateLimits.registerPerHour),
      loginLimiter: limiter('login', 60_000, config.rateLimits.loginPerMinute),
    }),
  );
  app.use('/api', usersRoutes({ users, adminEmails: config.adminEmails, auth }));
  app.use('/api/projects', projectsRoutes({ projects, auth }));
  app.use(
    '/api',
    generateRoutes({
      auth,
      projects,
      generations,
      idempotency: createIdempotencyService(redis, config.redisKeyPrefix),
      generateLimiter,
      allowPrivateWebhooks: config.webhookAllowPrivateNetworks,
    }),
  );
  app.use('/api/jobs', jobsRoutes({ auth, jobs, watcher: deps.watcher }));
  app.use('/api/credits', creditsRoutes({ db, auth }));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
