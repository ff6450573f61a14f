import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockedAddressError, blockedReason, createGuardedLookup, webhookHost } from '@vectort/shared';

/** A receiver gets this long to answer with a status line. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  allowPrivate: boolean;
  /** @defaultValue {@link WEBHOOK_TIMEOUT_MS} */
  timeoutMs?: number;
}

export type WebhookResponse =
  /** The receiver answered; redirects are answers too, never followed. */
  | { kind: 'answered'; statusCode: number; location?: string }
  /** The URL points at a refused address: retrying cannot help. */
  | { kind: 'blocked'; message: string }
  /** No answer, in a coarse class only (see {@link DeliveryErrorClass}); `detail` is for logs. */
  | { kind: 'unreachable'; errorClass: DeliveryErrorClass; detail: string };

/**
 * Why a receiver gave no answer, as recorded and shown to users. Deliberately coarse: a refused
 * connection, a silently dropped one, a reset and a DNS failure all read `connect_error`, so
 * webhook URLs cannot be used to tell closed ports from filtered ones (a port scanner).
 * `timeout`: connected, but no HTTP answer in time; `tls_error`: connected, TLS failed.
 */
export type DeliveryErrorClass = 'connect_error' | 'timeout' | 'tls_error';

function blocked(url: URL, allowPrivate: boolean): string | null {
  const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) return `scheme ${url.protocol} is not allowed`;
  if (allowPrivate) return null;
  const { host, isLiteral } = webhookHost(url);
  const reason = isLiteral ? blockedReason(host) : null;
  return reason ? `${host} is a ${reason} address` : null;
}

/**
 * POSTs one signed event. Names are resolved by a guarded lookup and the socket connects to the
 * checked address, so the address check holds at connect time; IP-literal hosts (which Node
 * connects to without a lookup) are checked here first. A fresh connection per attempt: a
 * pooled socket would skip the check. Redirects are reported, not followed.
 */
export function sendWebhook(req: WebhookRequest): Promise<WebhookResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve({ kind: 'blocked', message: 'not a valid URL' });
  }
  const refused = blocked(url, req.allowPrivate);
  if (refused) return Promise.resolve({ kind: 'blocked', message: refused });

  const timeoutMs = req.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const outgoing = send(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: createGuardedLookup(req.allowPrivate),
        signal,
        headers: {
          ...req.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(req.body)),
          'user-agent': 'Vectort-Webhooks/1',
        },
      },
      (res: IncomingMessage) => {
        // Only the status matters; drain the body so the socket closes cleanly.
        res.resume();
        res.on('error', () => undefined);
        const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
        resolve({ kind: 'answered', statusCode: res.statusCode ?? 0, ...(location ? { location } : {}) });
      },
    );
    let connected = false;
    let secured = url.protocol !== 'https:';
    outgoing.on('socket', (socket) => {
      socket.once('connect', () => (connected = true));
      socket.once('secureConnect', () => (secured = true));
    });
    outgoing.on('error', (err: Error & { code?: string }) => {
      if (err instanceof BlockedAddressError) return resolve({ kind: 'blocked', message: err.message });
      const detail = signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : err.code
          ? `${err.code}: ${err.message}`
          : err.message;
      const errorClass: DeliveryErrorClass = !connected
        ? 'connect_error'
        : !secured
          ? 'tls_error'
          : signal.aborted
            ? 'timeout'
            : 'connect_error';
      resolve({ kind: 'unreachable', errorClass, detail });
    });
    outgoing.end(req.body);
  });
}
