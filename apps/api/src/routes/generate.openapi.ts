import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { paginationQuery } from '../http/pagination';
import { BEARER, errorResponses, headers, idParam, json, rateLimitHeaders } from '../openapi/openapi-components';
import { generationSummary, generationView, pageOf } from '../openapi/view-schemas';
import { generateBody, idempotencyKey } from './generate.routes';

export const cacheHit = z
  .object({ status: z.literal('completed'), cached: z.literal(true), generation: generationView })
  .meta({ id: 'CacheHit' });

export const jobQueued = z
  .object({
    status: z.literal('queued'),
    cached: z.literal(false),
    job_id: z.string(),
    status_url: z.string().meta({ description: '`/api/jobs/{job_id}`' }),
  })
  .meta({ id: 'JobQueued' });

/** What a submit that may be answered from the cache answers: generate and edit alike. */
export const submitResponses = () => ({
  200: json('Cache hit', cacheHit, { 'X-Cache': headers.xCache }),
  202: json('Miss: a job was queued', jobQueued, {
    'X-Cache': headers.xCache,
    Location: headers.location,
    ...rateLimitHeaders,
  }),
  ...errorResponses(400, 401, 402, 404, 409, 413, 422, 429),
});

/** Submit a generation and read generations (generate.routes.ts). */
export function registerGenerateOperations(registry: OpenAPIRegistry): void {
  const tags = ['generations'];
  registry.registerPath({
    method: 'post',
    path: '/api/projects/{id}/generate',
    operationId: 'generate',
    tags,
    summary: 'Generate code from a description',
    description:
      'A cache hit answers 200 at once (no credits, no plan limit); a miss queues a job (202) and ' +
      'reserves `GENERATION_COST_CREDITS`. `webhook_url` must be https unless private networks are allowed.',
    security: BEARER,
    request: {
      params: idParam,
      headers: z.object({ 'Idempotency-Key': idempotencyKey.optional() }),
      body: { required: true, content: { 'application/json': { schema: generateBody(false) } } },
    },
    responses: submitResponses(),
  });
  registry.registerPath({
    method: 'get',
    path: '/api/projects/{id}/generations',
    operationId: 'listGenerations',
    tags,
    summary: "A project's generations, newest first, without files",
    security: BEARER,
    request: { params: idParam, query: paginationQuery },
    responses: {
      200: json('A page of generations', pageOf(generationSummary, 'GenerationPage')),
      ...errorResponses(400, 401, 404),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/generations/{id}',
    operationId: 'getGeneration',
    tags,
    security: BEARER,
    request: { params: idParam },
    responses: { 200: json('The generation with its files', generationView), ...errorResponses(401, 404) },
  });
}
