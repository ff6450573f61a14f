import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { recordRoute } from '../middleware/request-context';
import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { UnavailableError } from '@vectort/shared';

const CHECK_TIMEOUT_MS = 2000;

export interface HealthRoutesDeps {
  db: Db;
  redis: Redis;
  s3: S3Client;
  bucket: string;
}

async function check(run: (signal: AbortSignal) => Promise<unknown>): Promise<'ok' | 'fail'> {
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  try {
    await Promise.race([
      run(signal),
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true })),
    ]);
    return 'ok';
  } catch {
    return 'fail';
  }
}

/** `/healthz` (the process runs) and `/readyz` (MongoDB, Redis and S3 all answer). */
export function healthRoutes(deps: HealthRoutesDeps): Router {
  const router = Router();

  router.get('/healthz', recordRoute, (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', recordRoute, async (_req, res) => {
    const [mongo, redis, s3] = await Promise.all([
      check(() => deps.db.command({ ping: 1 })),
      check(() => deps.redis.ping()),
      check((abortSignal) => deps.s3.send(new HeadBucketCommand({ Bucket: deps.bucket }), { abortSignal })),
    ]);
    const checks = { mongo, redis, s3 };
    const failed = Object.entries(checks)
      .filter(([, v]) => v === 'fail')
      .map(([k]) => k);
    if (failed.length) throw new UnavailableError(`Not ready: ${failed.join(', ')} not answering`, 5, checks);
    res.json({ status: 'ok', checks });
  });

  return router;
}
