import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ADMIN_BASIC, METRICS_TOKEN, errorResponses, headers, json } from '../openapi/openapi-components';

const check = z.enum(['ok', 'fail']);

/** Health, readiness, metrics (health.routes.ts, metrics.routes.ts) and the Bull Board mount. */
export function registerOperationsOperations(registry: OpenAPIRegistry): void {
  const tags = ['operations'];
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    tags,
    summary: 'The process runs',
    security: [],
    responses: { 200: json('Alive', z.object({ status: z.literal('ok') })) },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tags,
    summary: 'MongoDB, Redis and S3 answer (503 names the one that does not)',
    security: [],
    responses: {
      200: json(
        'Ready',
        z.object({ status: z.literal('ok'), checks: z.object({ mongo: check, redis: check, s3: check }) }),
      ),
      ...errorResponses(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/metrics',
    operationId: 'metrics',
    tags,
    summary: 'Prometheus text format (API process)',
    security: [{}, ...METRICS_TOKEN],
    responses: {
      200: {
        description: 'Prometheus exposition text',
        headers: z.object({ 'X-Request-Id': headers.requestId }),
        content: { 'text/plain': { schema: z.string() } },
      },
      ...errorResponses(401),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/admin/queues',
    operationId: 'bullBoard',
    tags,
    summary: 'Bull Board UI (HTML), with its own assets and JSON API under this path',
    description: 'Mounted only when `ADMIN_USER` and `ADMIN_PASSWORD` are set (404 otherwise).',
    security: ADMIN_BASIC,
    responses: {
      200: { description: 'The board', content: { 'text/html': { schema: z.string() } } },
      ...errorResponses(401, 404),
    },
  });
}
