import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { ValidationError } from '../errors/app-error';
import { blockedReason } from './address-policy';

/** A webhook target that resolves to an address webhooks may not reach. */
export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
  readonly code = 'EWEBHOOKBLOCKED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`${host} resolves to ${address}, a ${reason} address`);
  }
}

/** The URL's host without IPv6 brackets, and whether it is an IP literal. */
export function webhookHost(url: URL): { host: string; isLiteral: boolean } {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host, isLiteral: isIP(host) !== 0 };
}

/** Throws {@link BlockedAddressError} when any of `addresses` may not receive webhooks. */
function assertAllAllowed(host: string, addresses: readonly string[]): void {
  for (const address of addresses) {
    const reason = blockedReason(address);
    if (reason) throw new BlockedAddressError(host, address, reason);
  }
}

/**
 * A `lookup` for node:http(s) and node:net that refuses names resolving to a blocked address.
 * The socket then connects to exactly the addresses checked here, so a DNS answer that changes
 * between validation and connection (rebinding) cannot reach a private address. Refuses the
 * whole name when any of its addresses is blocked. Node skips `lookup` for IP-literal hosts:
 * check those with {@link blockedReason} before connecting.
 */
export function createGuardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (!allowPrivate) {
        try {
          assertAllAllowed(
            hostname,
            addresses.map((a) => a.address),
          );
        } catch (blocked) {
          return callback(blocked as NodeJS.ErrnoException, '', 0);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

export interface WebhookUrlCheck {
  allowPrivate: boolean;
  /** Resolution time allowed at submit; on timeout the URL is accepted and checked again at send. @defaultValue 2000 */
  resolveTimeoutMs?: number;
}

/**
 * Why `rawUrl` may not be a webhook target, or `null`. Checks the scheme (https only unless
 * private networks are allowed), IP literals in any encoding the URL parser normalises
 * (`0x7f000001`, `2130706433`, `0177.0.0.1`, `[::ffff:127.0.0.1]`), and every address the host
 * name resolves to now. A name that does not exist is refused; a resolver failure or timeout is
 * not (the sender checks again when it connects).
 */
export async function webhookUrlProblem(rawUrl: string, check: WebhookUrlCheck): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return 'is not a valid URL';
  }
  const schemes = check.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    return check.allowPrivate ? 'must be an http or https URL' : 'must be an https URL';
  if (check.allowPrivate) return null;
  const { host, isLiteral } = webhookHost(url);
  if (isLiteral) {
    const reason = blockedReason(host);
    return reason ? `points at a ${reason} address` : null;
  }
  const resolved = await resolveWithin(host, check.resolveTimeoutMs ?? 2000);
  if (resolved === 'missing') return 'has a host name that does not resolve';
  if (resolved === 'unknown') return null;
  try {
    assertAllAllowed(host, resolved);
    return null;
  } catch (err) {
    return `resolves to a ${(err as BlockedAddressError).reason} address`;
  }
}

/**
 * Most submit-time lookups one process runs at once. `dns.lookup` runs on libuv's thread pool
 * (4 threads, shared with file and crypto work), and a slow resolver holds a thread past our
 * time box: without a cap, a user sending webhook URLs could stall the process.
 */
export const MAX_CONCURRENT_WEBHOOK_LOOKUPS = 2;

let lookupsRunning = 0;
const lookupWaiters: (() => void)[] = [];

/** Runs `lookup` when a slot is free; the slot is held until the lookup itself ends. */
function withLookupSlot(lookup: (done: () => void) => void): void {
  const start = () => {
    lookupsRunning++;
    lookup(() => {
      lookupsRunning--;
      lookupWaiters.shift()?.();
    });
  };
  if (lookupsRunning < MAX_CONCURRENT_WEBHOOK_LOOKUPS) start();
  else lookupWaiters.push(start);
}

/** The host's addresses, or 'unknown' when the lookup (waiting for a slot included) takes longer than `timeoutMs`. */
async function resolveWithin(host: string, timeoutMs: number): Promise<string[] | 'missing' | 'unknown'> {
  const lookup = new Promise<string[] | 'missing' | 'unknown'>((resolve) => {
    withLookupSlot((done) => {
      try {
        dnsLookup(host, { all: true }, (err, addresses) => {
          done();
          if (err) resolve(err.code === 'ENOTFOUND' ? 'missing' : 'unknown');
          else resolve(addresses.map((a) => a.address));
        });
      } catch {
        // A lookup that throws at once must not keep its slot.
        done();
        resolve('unknown');
      }
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'unknown'>((resolve) => {
    timer = setTimeout(() => resolve('unknown'), timeoutMs);
  });
  try {
    return await Promise.race([lookup, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** {@link webhookUrlProblem} as a 400 `validation_error` on `field`, for submit routes. */
export async function assertWebhookUrlAllowed(
  rawUrl: string,
  check: WebhookUrlCheck,
  field = 'webhook_url',
): Promise<void> {
  const problem = await webhookUrlProblem(rawUrl, check);
  if (problem) throw new ValidationError('Invalid request body', [{ field, message: `webhook URL ${problem}` }]);
}
