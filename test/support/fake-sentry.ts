import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One Sentry envelope: its header and each item's header and payload, parsed. */
export interface Envelope {
  header: Record<string, unknown>;
  items: { header: Record<string, unknown>; payload: any }[];
}

export interface FakeSentry {
  /** A DSN pointing at this receiver: `http://key@127.0.0.1:PORT/1`. */
  dsn: string;
  envelopes: Envelope[];
  /** Envelopes carrying an error event (not transactions or sessions). */
  errorEvents(): any[];
  close(): Promise<void>;
}

function parseEnvelope(body: string): Envelope {
  const lines = body.split('\n');
  const header = JSON.parse(lines[0]!);
  const items: Envelope['items'] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    if (!lines[i]) continue;
    const itemHeader = JSON.parse(lines[i]!);
    let payload: unknown = lines[i + 1];
    try {
      payload = JSON.parse(lines[i + 1]!);
    } catch {
      // attachments are not JSON
    }
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

/** An HTTP receiver standing in for Sentry: it keeps every envelope the SDK posts. */
export async function startFakeSentry(): Promise<FakeSentry> {
  const envelopes: Envelope[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      if (req.method === 'POST' && /\/api\/\d+\/envelope\/?/.test(req.url ?? ''))
        envelopes.push(parseEnvelope(raw.toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://publickey@127.0.0.1:${port}/1`,
    envelopes,
    errorEvents: () => envelopes.flatMap((e) => e.items.filter((i) => i.header.type === 'event').map((i) => i.payload)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
