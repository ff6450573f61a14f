import { timingSafeEqual } from 'node:crypto';
import { recordRoute } from '../middleware/request-context';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import { UnauthorizedError } from '@vectort/shared';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `/api/metrics` in Prometheus text; needs `Bearer METRICS_TOKEN` when that is set. In
 * production without a token the route is not mounted at all (404), so an unset variable never
 * publishes the metrics.
 */
export function metricsRoutes(deps: { registry: Registry; token?: string; production: boolean }): Router {
  const router = Router();
  if (deps.production && !deps.token) return router;
  router.get('/api/metrics', recordRoute, async (req, res) => {
    if (deps.token) {
      const given = req.get('authorization')?.match(/^Bearer (.+)$/)?.[1];
      if (!given || !sameSecret(given, deps.token)) throw new UnauthorizedError('Metrics token required');
    }
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}
