import { createServer, type Server, type Socket } from 'node:net';
import { sendWebhook } from '../../src/webhooks/webhook-sender';
import { freePort } from '../../../../test/support/free-port';

// Issue 11 finding 11: delivery errors said "ECONNREFUSED" for a closed port and "no answer
// within 10000 ms" for a filtered one, so a user could scan ports through webhook URLs. Only
// coarse classes are recorded now; every target here is on loopback.
const servers: Server[] = [];
const sockets = new Set<Socket>();
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function tcpServer(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const send = (url: string) => sendWebhook({ url, headers: {}, body: '{}', allowPrivate: true, timeoutMs: 300 });

describe('webhook delivery errors come in coarse classes', () => {
  it('a closed port and a connection reset at once both read connect_error, with no errno', async () => {
    const closed = await freePort();
    const resetting = await tcpServer((socket) => socket.resetAndDestroy());
    const refused = await send(`http://127.0.0.1:${closed}/hook`);
    const reset = await send(`http://127.0.0.1:${resetting}/hook`);
    expect(refused).toMatchObject({ kind: 'unreachable', errorClass: 'connect_error' });
    expect(reset).toMatchObject({ kind: 'unreachable', errorClass: 'connect_error' });
    // What the delivery record gets is the class alone; the errno stays in the worker's log.
    expect(JSON.stringify({ ...refused, detail: undefined })).not.toMatch(/ECONN|refused/i);
  });

  it('a receiver that accepts and never answers reads timeout', async () => {
    const silent = await tcpServer(() => undefined);
    expect(await send(`http://127.0.0.1:${silent}/hook`)).toMatchObject({ kind: 'unreachable', errorClass: 'timeout' });
  });

  it('a receiver that is not TLS behind an https URL reads tls_error', async () => {
    const plain = await tcpServer((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\n'));
    expect(await send(`https://127.0.0.1:${plain}/hook`)).toMatchObject({
      kind: 'unreachable',
      errorClass: 'tls_error',
    });
  });
});
