import { blockedReason, parseIpv6, webhookUrlProblem } from '@vectort/shared';

describe('blockedReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.100.100.200', 'cgnat'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.0.192', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:a00:1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['::127.0.0.1', 'reserved'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['not-an-ip', 'reserved'],
  ])('refuses %s as %s', (address, reason) => {
    expect(blockedReason(address)).toBe(reason);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.253.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(blockedReason(address)).toBeNull();
  });

  it('parses IPv6 forms to the same 128 bits', () => {
    expect(parseIpv6('::ffff:127.0.0.1')).toBe(parseIpv6('0:0:0:0:0:ffff:7f00:0001'));
    expect(parseIpv6('[fe80::1]')).toBe(parseIpv6('fe80:0:0:0:0:0:0:1'));
    expect(parseIpv6('::')).toBe(0n);
    expect(parseIpv6('1.2.3.4')).toBeNull();
  });
});

describe('webhookUrlProblem', () => {
  const strict = { allowPrivate: false };

  // The WHATWG URL parser normalises these host spellings to 127.0.0.1 or ::ffff:7f00:1.
  it.each([
    'https://127.0.0.1/hook',
    'https://0x7f000001/hook',
    'https://2130706433/hook',
    'https://0177.0.0.1/hook',
    'https://0x7f.0.0.1/hook',
    'https://127.1/hook',
    'https://127.0.0.1./hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[0:0:0:0:0:ffff:7f00:1]/hook',
    'https://[::1]:8443/hook',
    'https://10.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00:ec2::254]/',
    'https://100.64.0.1/',
    'https://localhost/hook',
    'https://LOCALHOST/hook',
  ])('refuses %s', async (url) => {
    expect(await webhookUrlProblem(url, strict)).toMatch(/address/);
  });

  it.each(['http://93.184.215.14/hook', 'ftp://93.184.215.14/', 'javascript:alert(1)'])(
    'refuses the scheme of %s',
    async (url) => {
      expect(await webhookUrlProblem(url, strict)).toBe('must be an https URL');
    },
  );

  it('refuses a name that does not exist', async () => {
    expect(await webhookUrlProblem('https://no-such-host.invalid/hook', strict)).toBe(
      'has a host name that does not resolve',
    );
    // Absolute `localhost.` resolves to loopback or not at all, depending on the resolver: refused either way.
    expect(await webhookUrlProblem('https://localhost./hook', strict)).not.toBeNull();
  });

  it('accepts a public address, and everything http(s) when private networks are allowed', async () => {
    expect(await webhookUrlProblem('https://93.184.215.14/hook', strict)).toBeNull();
    expect(await webhookUrlProblem('https://[2606:4700:4700::1111]/hook', strict)).toBeNull();
    expect(await webhookUrlProblem('http://127.0.0.1:9999/hook', { allowPrivate: true })).toBeNull();
    expect(await webhookUrlProblem('https://localhost/hook', { allowPrivate: true })).toBeNull();
    expect(await webhookUrlProblem('ftp://127.0.0.1/', { allowPrivate: true })).toBe('must be an http or https URL');
  });
});
