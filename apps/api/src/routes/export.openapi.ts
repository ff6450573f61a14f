import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BEARER, errorResponses, headers, idParam, json, rateLimitHeaders } from '../openapi/openapi-components';
import { exportView } from '../openapi/view-schemas';
import { exportBody, waitQuery } from './export.routes';

const exportQueued = z
  .object({
    status: z.enum(['queued', 'active', 'failed']),
    job_id: z.string(),
    status_url: z.string(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'ExportQueued' });

/** ZIP exports (export.routes.ts). */
export function registerExportOperations(registry: OpenAPIRegistry): void {
  const tags = ['exports'];
  registry.registerPath({
    method: 'post',
    path: '/api/projects/{id}/export/zip',
    operationId: 'exportZip',
    tags,
    summary: 'Export a generation (default: the latest) as a ZIP in S3',
    security: BEARER,
    request: {
      params: idParam,
      query: waitQuery,
      body: { required: false, content: { 'application/json': { schema: exportBody(false) } } },
    },
    responses: {
      200: json('The export finished within `wait`', exportView, rateLimitHeaders),
      202: json('Queued (or not done within `wait`)', exportQueued, {
        Location: headers.location,
        ...rateLimitHeaders,
      }),
      ...errorResponses(400, 401, 404, 413, 429),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/projects/{id}/export',
    operationId: 'getLatestExport',
    tags,
    summary: "The project's latest export with a fresh URL",
    security: BEARER,
    request: { params: idParam },
    responses: { 200: json('The export', exportView), ...errorResponses(401, 404) },
  });
}
