import type { S3Client } from '@aws-sdk/client-s3';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import type { Config, Logger } from '@vectort/shared';
import './http/request-state';
import { requireAuth } from './middleware/auth';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { createLimiter } from './middleware/rate-limit';
import { requestContext } from './middleware/request-context';
import { authRoutes } from './routes/auth.routes';
import { healthRoutes } from './routes/health.routes';
import { metricsRoutes } from './routes/metrics.routes';
import { projectsRoutes } from './routes/projects.routes';
import { usersRoutes } from './routes/users.routes';
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
}

/** Builds the Express app from real clients; `main.ts` and the tests both call it. */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);

  const users = createUsersService(deps.db);
  const projects = createProjectsService(deps.db);
  const tokens = createTokenService(config.jwt);
  const auth = requireAuth(tokens, users);
  const limiter = (name: string, windowMs: number, limit: number) =>
    createLimiter({ redis: deps.redis, keyPrefix: config.redisKeyPrefix, name, windowMs, limit });

  app.use(requestContext(deps.logger));
  app.use(helmet());
  app.use(express.json({ limit: '1mb' }));

  app.use(healthRoutes({ db: deps.db, redis: deps.redis, s3: deps.s3, bucket: config.s3.bucket }));
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

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
