import { ok, type ApiClient } from './api-client';
import { readJobEvents, type FileEvent, type Job } from './job-events';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

export interface FollowHandlers {
  status(job: Job): void;
  file(event: FileEvent): void;
}

/**
 * Follows a job to its end: its event stream first (status and live `file` events), then
 * long-polls `GET /api/jobs/{id}?wait=30` if the stream ended early (a proxy, a restart).
 */
export async function followJob(client: ApiClient, jobId: string, on: FollowHandlers): Promise<Job> {
  let last: Job | undefined;
  const stream = await client.GET('/api/jobs/{id}/events', { params: { path: { id: jobId } }, parseAs: 'stream' });
  if (stream.response.ok && stream.data) {
    try {
      for await (const event of readJobEvents(stream.data)) {
        if (event.kind === 'status') {
          last = event.job;
          on.status(event.job);
        } else {
          on.file(event.file);
        }
      }
    } catch {
      // A broken stream is not a failed job: the long-poll below finds out how it ended.
    }
  }
  while (!last || !FINAL.has(last.status)) {
    const { data } = await ok(client.GET('/api/jobs/{id}', { params: { path: { id: jobId }, query: { wait: 30 } } }));
    last = data;
    on.status(data);
  }
  return last;
}
