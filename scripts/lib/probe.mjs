// Readiness probes for the local services. Each speaks the service's own protocol, so a port
// taken by some other program is told apart from "our service is up".
import http from 'node:http';
import net from 'node:net';
import { sleep } from './proc.mjs';

const HOST = '127.0.0.1';

/**
 * Opens a TCP connection, optionally writes `payload`, and collects bytes until `done(buf)` says
 * so. Resolves { open, data }: open=false when nothing listens (or the connect timed out).
 */
function talk(port, payload, done, timeoutMs = 1500) {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let open = false;
    const sock = net.connect({ host: HOST, port });
    const finish = () => {
      sock.destroy();
      resolve({ open, data });
    };
    sock.setTimeout(timeoutMs, finish);
    sock.on('connect', () => {
      open = true;
      if (payload) sock.write(payload);
      else finish();
    });
    sock.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (done(data)) finish();
    });
    sock.on('error', finish);
    sock.on('close', finish);
  });
}

/** Something accepts TCP connections on the port. */
export async function portOpen(port) {
  return (await talk(port, null, () => true)).open;
}

/**
 * Sends one inline Redis command and resolves the raw reply once `lines` CRLF-ended lines came
 * (or the short timeout passed), or null when nothing listens.
 */
export async function redisCommand(port, command, lines = 1) {
  const done = (buf) => buf.toString('latin1').split('\r\n').length > lines || buf[0] === 0x2d; // '-': error
  const { open, data } = await talk(port, `${command}\r\n`, done);
  return open ? data.toString('latin1') : null;
}

export async function redisReady(port) {
  return ((await redisCommand(port, 'PING')) || '').startsWith('+PONG');
}

// OP_MSG (opcode 2013) carrying {ping: 1, $db: "admin"}, BSON written by hand: the same
// request every MongoDB driver sends first, so "ready" means the server answers commands.
function pingMessage() {
  const elements = Buffer.concat([
    Buffer.from([0x10]),
    Buffer.from('ping\0'),
    int32(1),
    Buffer.from([0x02]),
    Buffer.from('$db\0'),
    int32(6),
    Buffer.from('admin\0'),
  ]);
  const doc = Buffer.concat([int32(4 + elements.length + 1), elements, Buffer.from([0])]);
  const body = Buffer.concat([int32(0) /* flagBits */, Buffer.from([0]) /* section kind 0 */, doc]);
  const header = Buffer.concat([int32(16 + body.length), int32(1), int32(0), int32(2013)]);
  return Buffer.concat([header, body]);
}

function int32(n) {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

/** A MongoDB-wire server (FerretDB or MongoDB) answers ping with ok: 1. */
export async function mongoReady(port) {
  const { data } = await talk(port, pingMessage(), (buf) => buf.length >= 4 && buf.length >= buf.readInt32LE(0));
  if (data.length < 21 || data.readInt32LE(12) !== 2013) return false;
  // The reply document holds "ok" as a double (type 0x01) equal to 1.
  const at = data.indexOf(Buffer.from([0x01, 0x6f, 0x6b, 0x00]), 21);
  return at > 0 && data.length >= at + 12 && data.readDoubleLE(at + 4) === 1;
}

/** Plain HTTP request to 127.0.0.1; resolves the status code, or null when nothing answers. */
export function httpStatus(method, port, urlPath = '/', timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.request({ host: HOST, port, method, path: urlPath, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

export async function httpReady(port) {
  return (await httpStatus('GET', port, '/')) !== null;
}

/**
 * Polls `check` until it is true. Gives up after `timeoutMs`, or at once when `exited()` says
 * the process we started has died (its log then says why).
 */
export async function waitUntil(check, { timeoutMs, exited = () => false }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    if (exited()) return false;
    await sleep(150);
  }
  return false;
}
