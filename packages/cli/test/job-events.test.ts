import { readJobEvents, type JobEvent } from '../src/job-events';

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

const status = { job_id: 'j', kind: 'generate', status: 'active', progress: 40 };

describe('readJobEvents (the SSE reader of GET /api/jobs/{id}/events)', () => {
  it('reads status and file events split anywhere across chunks, skipping heartbeats and unknown events', async () => {
    const text =
      `: keep-alive\n\n` +
      `data: ${JSON.stringify(status)}\n\n` +
      `id: 1-3\nevent: file\ndata: ${JSON.stringify({ path: 'src/App.jsx', text: 'export', done: false })}\n\n` +
      `event: something-new\ndata: {}\n\n` +
      `id: 1-4\r\nevent: file\r\ndata: ${JSON.stringify({ path: 'src/App.jsx', text: ' x', done: true })}\r\n\r\n`;
    const chunks = text.match(/[\s\S]{1,7}/g)!;
    const events: JobEvent[] = [];
    for await (const e of readJobEvents(streamOf(...chunks))) events.push(e);
    expect(events).toEqual([
      { kind: 'status', job: status },
      { kind: 'file', file: { path: 'src/App.jsx', text: 'export', done: false } },
      { kind: 'file', file: { path: 'src/App.jsx', text: ' x', done: true } },
    ]);
  });
});
