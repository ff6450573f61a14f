import type { components } from './generated/api-types';

export type Job = components['schemas']['Job'];

/** A `file` event of the live output: `text` appended to `path` (or its whole text, `replace`). */
export interface FileEvent {
  path: string;
  text: string;
  done: boolean;
  replace?: boolean;
}

export type JobEvent = { kind: 'status'; job: Job } | { kind: 'file'; file: FileEvent };

/**
 * Reads `GET /api/jobs/{id}/events` (Server-Sent Events): unnamed events carry the job status,
 * `file` events the files as they are written. Ends when the server closes the stream.
 */
export async function* readJobEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<JobEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const event = parseFrame(frame);
      if (event) yield event;
    }
  }
}

function parseFrame(frame: string): JobEvent | null {
  let name = 'message';
  const data: string[] = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith(':')) continue; // heartbeat comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return null;
  const payload = JSON.parse(data.join('\n')) as unknown;
  if (name === 'file') return { kind: 'file', file: payload as FileEvent };
  if (name === 'message') return { kind: 'status', job: payload as Job };
  return null; // an event this CLI does not know yet
}
