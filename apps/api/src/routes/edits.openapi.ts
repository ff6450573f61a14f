import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BEARER, errorResponses, headers, idParam } from '../openapi/openapi-components';
import { editBody, diffQuery } from './edits.routes';
import { submitResponses } from './generate.openapi';
import { idempotencyKey } from './generate.routes';

/** Edit a generation into its next version, and diff two versions (edits.routes.ts). */
export function registerEditsOperations(registry: OpenAPIRegistry): void {
  const tags = ['generations'];
  registry.registerPath({
    method: 'post',
    path: '/api/generations/{id}/edits',
    operationId: 'editGeneration',
    tags,
    summary: 'Change a generation with a follow-up instruction',
    description:
      'Like generate: the same edit of identical code is a cache hit (200, free); a miss queues a job of ' +
      'kind `edit` (202) and reserves `GENERATION_COST_CREDITS`. The result is the next version of the ' +
      'project, with `parent_id`, `instruction` and `changes`. A parent over `EDIT_MAX_INPUT_BYTES` is 400; ' +
      'one still being written is 409.',
    security: BEARER,
    request: {
      params: idParam,
      headers: z.object({ 'Idempotency-Key': idempotencyKey.optional() }),
      body: { required: true, content: { 'application/json': { schema: editBody(false) } } },
    },
    responses: submitResponses(),
  });
  registry.registerPath({
    method: 'get',
    path: '/api/generations/{id}/diff',
    operationId: 'diffGeneration',
    tags,
    summary: 'Unified diff from the parent (or `against`) to this generation',
    description: '`diff --git a/PATH b/PATH` sections; `git apply` of it onto the older files gives the newer ones.',
    security: BEARER,
    request: { params: idParam, query: diffQuery },
    responses: {
      200: {
        description: 'A unified diff',
        headers: z.object({ 'X-Request-Id': headers.requestId }),
        content: { 'text/plain': { schema: z.string() } },
      },
      ...errorResponses(400, 401, 404),
    },
  });
}
