import dns from 'node:dns';
import { MAX_CONCURRENT_WEBHOOK_LOOKUPS, webhookUrlProblem } from '@vectort/shared';
import { createProject, generate } from '../../../test/support/http';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { registerUser } from '../../../test/support/users';

// Issue 11 finding 10: the webhook URL was resolved before the project's owner was checked, so
// any project id made the API an oracle for internal DNS names ("resolves to a private address"
// vs "does not resolve"), with no cap on concurrent lookups.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('whoracle', { RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
});
afterAll(() => app.close());
afterEach(() => jest.restoreAllMocks());

/** Host names dns.lookup was asked for, while `run` runs (the real lookup still answers). */
async function lookedUp(run: () => Promise<void>): Promise<string[]> {
  const hosts: string[] = [];
  const real = dns.lookup;
  const spy = jest.spyOn(dns, 'lookup').mockImplementation(((host: string, ...rest: unknown[]) => {
    hosts.push(host);
    return (real as (...a: unknown[]) => void)(host, ...rest);
  }) as typeof dns.lookup);
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return hosts.filter((h) => h !== '127.0.0.1');
}

it("answers 404 for a webhook_url on another user's project without resolving the URL", async () => {
  const owner = await registerUser(app.baseUrl, 'owner');
  const attacker = await registerUser(app.baseUrl, 'attacker');
  const projectId = await createProject(app.baseUrl, owner.token);
  const statuses: number[] = [];
  const hosts = await lookedUp(async () => {
    for (const webhook_url of ['https://localhost/hook', 'https://no-such-name.invalid/hook']) {
      const res = await generate(app.baseUrl, attacker.token, projectId, { description: 'probe', webhook_url });
      statuses.push(res.status);
      expect(res.body.error.code).toBe('not_found');
    }
  });
  expect(statuses).toEqual([404, 404]);
  expect(hosts).toEqual([]);

  // On the owner's own project the URL is checked as before (and looked up).
  const own = await lookedUp(async () => {
    const res = await generate(app.baseUrl, owner.token, projectId, {
      description: 'own',
      webhook_url: 'https://localhost/hook',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].message).toMatch(/loopback/);
  });
  expect(own).toContain('localhost');
});

it(`runs at most ${MAX_CONCURRENT_WEBHOOK_LOOKUPS} lookups at once, each time-boxed (waiting for a slot included)`, async () => {
  let running = 0;
  let most = 0;
  jest.spyOn(dns, 'lookup').mockImplementation(((
    _host: string,
    _options: unknown,
    callback: (err: Error | null, addresses: dns.LookupAddress[]) => void,
  ) => {
    running++;
    most = Math.max(most, running);
    // A slow resolver: answers a public address after 400 ms.
    setTimeout(() => {
      running--;
      callback(null, [{ address: '93.184.216.34', family: 4 }]);
    }, 400);
  }) as unknown as typeof dns.lookup);
  const t0 = performance.now();
  const problems = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      webhookUrlProblem(`https://slow-${i}.example/hook`, { allowPrivate: false, resolveTimeoutMs: 250 }),
    ),
  );
  const elapsed = performance.now() - t0;
  // A lookup not answered in time is accepted here and checked again when the worker connects.
  expect(problems).toEqual(Array(12).fill(null));
  expect(most).toBe(MAX_CONCURRENT_WEBHOOK_LOOKUPS);
  expect(elapsed).toBeLessThan(2000);
  // Let the slow lookups finish, so the slots are free for the next test file's checks.
  await new Promise((r) => setTimeout(r, 12 * 400));
  expect(running).toBe(0);
}, 15_000);
