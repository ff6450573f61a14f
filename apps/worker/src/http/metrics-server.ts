import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * Serves the worker's Prometheus text at `/metrics` and a liveness answer at `/healthz`;
 * everything else is 404. Resolves once listening.
 */
export async function startMetricsServer(registry: Registry, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(500).end();
        });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    res
      .writeHead(404, { 'Content-Type': 'application/json' })
      .end('{"error":{"code":"not_found","message":"Not found"}}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
