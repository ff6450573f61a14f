import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorResponses, headers } from '../openapi/openapi-components';

const html = (description: string) => ({
  description,
  headers: z.object({ 'X-Request-Id': headers.requestId }),
  content: { 'text/html': { schema: z.string() } },
});

/** The document itself and its interactive reference (docs.routes.ts). */
export function registerDocsOperations(registry: OpenAPIRegistry): void {
  const tags = ['docs'];
  registry.registerPath({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'openapiDocument',
    tags,
    summary: 'This OpenAPI 3.1 document',
    security: [],
    responses: {
      200: {
        description: 'The document',
        headers: z.object({ 'X-Request-Id': headers.requestId }),
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/docs',
    operationId: 'docsPage',
    tags,
    summary: 'Interactive reference of this document (Swagger UI, served locally)',
    security: [],
    responses: { 200: html('The page') },
  });
  registry.registerPath({
    method: 'get',
    path: '/docs/assets/{file}',
    operationId: 'docsAsset',
    tags,
    summary: "The reference page's scripts, styles and icons",
    security: [],
    request: { params: z.object({ file: z.string() }) },
    responses: {
      200: { description: 'The asset', content: { '*/*': { schema: z.string() } } },
      ...errorResponses(404),
    },
  });
}
