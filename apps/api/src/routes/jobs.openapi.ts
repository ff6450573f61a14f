import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BEARER, errorResponses, headers, idParam, json } from '../openapi/openapi-components';
import { jobView } from '../openapi/view-schemas';
import { waitQuery } from './jobs.routes';

/** What the job event stream carries: one entry per SSE event name (`message` = unnamed). */
export const JOB_STREAM_EVENTS = {
  message: { description: 'A status change; `data:` is the job status object.', ref: 'Job' },
  file: {
    description:
      'Live output of a generation being written: `text` was appended to `path` since its previous ' +
      '`file` event; `done` marks the file finished; `replace: true` (after a reconnect) carries the ' +
      'whole text so far.',
    ref: 'FileEvent',
  },
};

/** The `data:` of a `file` event. */
export const fileEvent = z
  .object({
    path: z.string(),
    text: z.string(),
    done: z.boolean(),
    replace: z.boolean().optional(),
  })
  .meta({ description: 'The data of a `file` event.' });

/**
 * One event of the stream, as SSE parsers (and schemathesis) see it: `data` is the text of its
 * `data:` lines, a `Job` in JSON for the default event.
 */
const sseEvent = z
  .object({
    event: z.enum(Object.keys(JOB_STREAM_EVENTS) as [string, ...string[]]).optional(),
    data: z.string().meta({
      contentMediaType: 'application/json',
      contentSchema: { oneOf: [{ $ref: '#/components/schemas/Job' }, { $ref: '#/components/schemas/FileEvent' }] },
    }),
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
    responses: { 200: json('The job status object', jobView), ...errorResponses(400, 401, 404, 429) },
  });
  // Only referenced from `x-sse-events` and the event's contentSchema, so registered by hand.
  const { $schema: _draft, ...fileEventSchema } = z.toJSONSchema(fileEvent);
  void _draft;
  registry.registerComponent('schemas', 'FileEvent', fileEventSchema as Record<string, unknown>);
  registry.registerPath({
    method: 'post',
    path: '/api/jobs/{id}/cancel',
    operationId: 'cancelJob',
    tags,
    summary: 'Cancel a queued or running job',
    description:
      'Answers once the job reads `cancelled`: at once when queued, within 2 s when active. Reserved ' +
      'credits are refunded once. A job that already ended is 409.',
    security: BEARER,
    request: { params: idParam },
    responses: { 200: json('The cancelled job', jobView), ...errorResponses(401, 404, 409) },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/jobs/{id}/events',
    operationId: 'jobEvents',
    tags,
    summary: 'Job status changes as Server-Sent Events',
    description:
      'One `data:` line of JSON (the job status object, see `Job`) per change, as the default unnamed ' +
      'event, and named `file` events while a generation is written; every event has an `id:`, and ' +
      '`Last-Event-ID` resumes. The stream ends when the job does (or after 15 minutes). ' +
      '`x-sse-events` lists the events by name. At most `MAX_STREAMS_PER_USER` streams and long-polls ' +
      'per user (429 beyond).',
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
      ...errorResponses(401, 404, 429),
    },
    'x-sse-events': Object.fromEntries(
      Object.entries(JOB_STREAM_EVENTS).map(([name, e]) => [
        name,
        { description: e.description, data: { $ref: `#/components/schemas/${e.ref}` } },
      ]),
    ),
  });
}
