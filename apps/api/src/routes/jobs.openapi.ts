import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BEARER, errorResponses, headers, idParam, json } from '../openapi/openapi-components';
import { jobView } from '../openapi/view-schemas';
import { waitQuery } from './jobs.routes';

/** What the job event stream carries: one entry per SSE event name (`message` = unnamed). */
export const JOB_STREAM_EVENTS = {
  message: { description: 'A status change; `data:` is the job status object.', schema: jobView },
};

/**
 * One event of the stream, as SSE parsers (and schemathesis) see it: `data` is the text of its
 * `data:` lines, a `Job` in JSON for the default event.
 */
const sseEvent = z
  .object({
    event: z.enum(Object.keys(JOB_STREAM_EVENTS) as [string, ...string[]]).optional(),
    data: z
      .string()
      .meta({ contentMediaType: 'application/json', contentSchema: { $ref: '#/components/schemas/Job' } }),
    id: z.string().optional(),
    retry: z.number().int().optional(),
  })
  .meta({ id: 'JobStreamEvent' });

/** Job status, long-poll and event stream (jobs.routes.ts); owner only. */
export function registerJobsOperations(registry: OpenAPIRegistry): void {
  const tags = ['jobs'];
  registry.registerPath({
    method: 'get',
    path: '/api/jobs/{id}',
    operationId: 'getJob',
    tags,
    summary: 'Job status; `wait` long-polls until the job ends or the wait runs out',
    security: BEARER,
    request: { params: idParam, query: waitQuery },
    responses: { 200: json('The job status object', jobView), ...errorResponses(400, 401, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/jobs/{id}/events',
    operationId: 'jobEvents',
    tags,
    summary: 'Job status changes as Server-Sent Events',
    description:
      'One `data:` line of JSON (the job status object, see `Job`) per change, as the default unnamed ' +
      'event; the stream ends when the job does. `x-sse-events` lists the events by name.',
    security: BEARER,
    request: { params: idParam },
    responses: {
      200: {
        description: 'An event stream',
        headers: z.object({ 'X-Request-Id': headers.requestId }),
        content: {
          'text/event-stream': { schema: sseEvent },
        },
      },
      ...errorResponses(401, 404),
    },
    'x-sse-events': Object.fromEntries(
      Object.entries(JOB_STREAM_EVENTS).map(([name, e]) => [
        name,
        { description: e.description, data: { $ref: '#/components/schemas/Job' } },
      ]),
    ),
  });
}
