import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chunkWriter } from '../src/services/job-event-feed';

// The event streams' writer: each text is one chunk of the chunked body, written straight to the
// socket; the body must stay exactly what `res.write` would have sent, for HTTP/1.1 and 1.0.
const parts = ['id: 1-0\ndata: {"a":1}\n\n', '', 'data: é ✓ 𝄞\n\n', ': keep-alive\n\n'];
let server: http.Server;
let port: number;

beforeAll(async () => {
  const app = express();
  app.get('/events', (_req, res) => {
    res.status(200).set({ 'Content-Type': 'text/event-stream' });
    res.flushHeaders();
    const send = chunkWriter(res);
    for (const p of parts) send(p);
    res.end();
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => server.close(r)));

/** The raw bytes of a response to `request` sent as is. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

it('sends each text as one well-formed chunk (sizes in bytes), and the body ends once', async () => {
  const response = await raw('GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [head, body] = [
    response.slice(0, response.indexOf('\r\n\r\n')),
    response.slice(response.indexOf('\r\n\r\n') + 4),
  ];
  expect(head).toMatch(/^transfer-encoding: chunked$/im);
  const expected = parts
    .filter((p) => p !== '')
    .map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`)
    .join('');
  expect(body).toBe(`${expected}0\r\n\r\n`);
});

it("reads back as the texts through Node's own HTTP parser", async () => {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
        let got = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (got += d));
        res.on('end', () => resolve(got));
      })
      .on('error', reject);
  });
  expect(text).toBe(parts.join(''));
});

it('writes an unchunked body for an HTTP/1.0 client', async () => {
  const response = await raw('GET /events HTTP/1.0\r\n\r\n');
  expect(response).not.toMatch(/transfer-encoding/i);
  expect(response.slice(response.indexOf('\r\n\r\n') + 4)).toBe(parts.join(''));
});
