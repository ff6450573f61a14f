import { isIP } from 'node:net';

/** Why an address may not receive webhooks. */
export type BlockedReason =
  'unspecified' | 'loopback' | 'private' | 'cgnat' | 'link-local' | 'unique-local' | 'multicast' | 'reserved';

interface Range {
  base: bigint;
  bits: number;
  reason: BlockedReason;
}

function v4(text: string): bigint {
  return text.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

const range4 = (cidr: string, reason: BlockedReason): Range => {
  const [addr, bits] = cidr.split('/');
  return { base: v4(addr!), bits: Number(bits), reason };
};

const range6 = (cidr: string, reason: BlockedReason): Range => {
  const [addr, bits] = cidr.split('/');
  return { base: parseIpv6(addr!)!, bits: Number(bits), reason };
};

// Everything that is not global unicast. 169.254.169.254 (cloud metadata) is in link-local,
// 100.100.100.200 (Alibaba metadata) in CGNAT, 192.0.0.192 (Oracle metadata) in 192.0.0.0/24.
const IPV4_BLOCKED: Range[] = [
  range4('0.0.0.0/8', 'unspecified'),
  range4('10.0.0.0/8', 'private'),
  range4('100.64.0.0/10', 'cgnat'),
  range4('127.0.0.0/8', 'loopback'),
  range4('169.254.0.0/16', 'link-local'),
  range4('172.16.0.0/12', 'private'),
  range4('192.0.0.0/24', 'reserved'),
  range4('192.0.2.0/24', 'reserved'),
  range4('192.88.99.0/24', 'reserved'),
  range4('192.168.0.0/16', 'private'),
  range4('198.18.0.0/15', 'reserved'),
  range4('198.51.100.0/24', 'reserved'),
  range4('203.0.113.0/24', 'reserved'),
  range4('224.0.0.0/4', 'multicast'),
  range4('240.0.0.0/4', 'reserved'),
];

/** IPv6 forms that carry an IPv4 address: judged by that address. */
const IPV6_EMBEDDING_V4: { range: Range; extract: (n: bigint) => bigint }[] = [
  // IPv4-mapped ::ffff:a.b.c.d
  { range: range6('::ffff:0:0/96', 'reserved'), extract: (n) => n & 0xffffffffn },
  // NAT64 64:ff9b::a.b.c.d
  { range: range6('64:ff9b::/96', 'reserved'), extract: (n) => n & 0xffffffffn },
  // 6to4 2002:aabb:ccdd::
  { range: range6('2002::/16', 'reserved'), extract: (n) => (n >> 80n) & 0xffffffffn },
];

const IPV6_BLOCKED: Range[] = [
  range6('::/128', 'unspecified'),
  range6('::1/128', 'loopback'),
  // The rest of ::/8: IPv4-compatible addresses, local-use NAT64 and other reserved space.
  range6('::/8', 'reserved'),
  range6('100::/64', 'reserved'),
  // Teredo, ORCHID and other IETF assignments, then documentation prefixes.
  range6('2001::/23', 'reserved'),
  range6('2001:db8::/32', 'reserved'),
  range6('3fff::/20', 'reserved'),
  range6('fc00::/7', 'unique-local'),
  range6('fe80::/10', 'link-local'),
  range6('fec0::/10', 'reserved'),
  range6('ff00::/8', 'multicast'),
];

function inRange(n: bigint, width: number, r: Range): boolean {
  const shift = BigInt(width - r.bits);
  return n >> shift === r.base >> shift;
}

/** Parses an IPv6 literal (with `::`, a trailing dotted IPv4 and an optional zone) into 128 bits. */
export function parseIpv6(text: string): bigint | null {
  let s = text.replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIP(s) !== 6) return null;
  const dotted = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const n = v4(dotted[1]!);
    s = `${s.slice(0, -dotted[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill('0');
  const groups = [...headParts, ...fill, ...tailParts];
  if (groups.length !== 8) return null;
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/**
 * Why `address` (an IP literal as DNS or the URL parser gives it) must not receive webhooks, or
 * `null` when it is global unicast. Anything that is not a valid IP literal is refused as `reserved`.
 */
export function blockedReason(address: string): BlockedReason | null {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) {
    const n = v4(bare);
    return IPV4_BLOCKED.find((r) => inRange(n, 32, r))?.reason ?? null;
  }
  const n = parseIpv6(bare);
  if (n === null) return 'reserved';
  for (const { range, extract } of IPV6_EMBEDDING_V4) {
    if (inRange(n, 128, range)) {
      const inner = extract(n);
      const dotted = [24n, 16n, 8n, 0n].map((s) => String((inner >> s) & 0xffn)).join('.');
      return blockedReason(dotted);
    }
  }
  return IPV6_BLOCKED.find((r) => inRange(n, 128, r))?.reason ?? null;
}
