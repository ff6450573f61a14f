import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createExpressServer } from '../src/http/express-server';

// Pure: no store. The server must hand express objects that already sit on the app's
// prototypes (so express's setPrototypeOf has nothing to do) and behave as express's own.
let server: Server;
let baseUrl: string;
const seen: { reqProto: boolean; resProto: boolean; httpClasses: boolean }[] = [];

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.post('/echo/:id', (req, res) => {
    res
      .status(201)
      .set('X-Seen', req.get('x-client') ?? 'none')
      .json({ id: req.params.id, body: req.body, ip: req.ip });
  });
  server = await new Promise((resolve) => {
    const s = createExpressServer(app);
    // Before express sees them: what node:http built.
    s.prependListener('request', (req, res) => {
      seen.push({
        reqProto: Object.getPrototypeOf(req) === app.request,
        resProto: Object.getPrototypeOf(res) === app.response,
        httpClasses: req instanceof IncomingMessage && res instanceof ServerResponse,
      });
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it("has node:http build each request and response on the app's own prototypes", async () => {
  const before = seen.length;
  await fetch(`${baseUrl}/echo/1`, { method: 'POST' });
  await fetch(`${baseUrl}/echo/2`, { method: 'POST' });
  expect(seen.slice(before)).toEqual([
    { reqProto: true, resProto: true, httpClasses: true },
    { reqProto: true, resProto: true, httpClasses: true },
  ]);
});

it("keeps express's request and response methods, the body parser and route params", async () => {
  const res = await fetch(`${baseUrl}/echo/abc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-client': 'cli' },
    body: JSON.stringify({ a: [1, 2] }),
  });
  expect(res.status).toBe(201);
  expect(res.headers.get('x-seen')).toBe('cli');
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await res.json()).toEqual({ id: 'abc', body: { a: [1, 2] }, ip: '127.0.0.1' });
});

it("answers an unknown route with express's own 404", async () => {
  const res = await fetch(`${baseUrl}/nothing`);
  expect(res.status).toBe(404);
  expect(await res.text()).toContain('Cannot GET /nothing');
});
