import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { chromium } from 'playwright-core';
import request from 'supertest';
import { QUEUE_NAMES, queuePrefix } from '@vectort/shared';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const USER = 'ops';
const PASSWORD = 'a-long-admin-password-for-tests';
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Bull Board without admin credentials', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('boardoff');
  });
  afterAll(() => app?.close());

  it('is not mounted: 404 with the contract body', async () => {
    const res = await request(app.baseUrl).get('/admin/queues').set('Authorization', basic(USER, PASSWORD));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });
});

describe('Bull Board with admin credentials', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('boardon', { ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD });
    // One waiting job, so the board has something to count.
    const queue = new Queue('webhook', { connection: app.redis, prefix: queuePrefix(app.config.redisKeyPrefix) });
    await queue.add('webhook', { probe: true }, { jobId: 'board-probe' });
    await queue.close();
  });
  afterAll(() => app?.close());

  it.each([
    ['no credentials', undefined],
    ['a wrong password', basic(USER, 'wrong')],
    ['a wrong user', basic('root', PASSWORD)],
    ['the password as user', basic(PASSWORD, USER)],
    ['no colon', `Basic ${Buffer.from(USER + PASSWORD).toString('base64')}`],
    ['a bearer token', 'Bearer abc.def.ghi'],
  ])('answers 401 with a Basic challenge for %s', async (_label, authorization) => {
    const req = request(app.baseUrl).get('/admin/queues');
    const res = authorization ? await req.set('Authorization', authorization) : await req;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Vectort admin", charset="UTF-8"');
    expect(res.body).toEqual({
      error: { code: 'unauthorized', message: 'Admin credentials required' },
      request_id: expect.any(String),
    });
    // The board's JSON API is behind the same gate.
    const api = await request(app.baseUrl).get('/admin/queues/api/queues');
    expect(api.status).toBe(401);
  });

  it('serves the UI and lists every queue of the contract with the right credentials', async () => {
    const page = await request(app.baseUrl).get('/admin/queues').set('Authorization', basic(USER, PASSWORD));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<base href="/admin/queues/"');

    const api = await request(app.baseUrl).get('/admin/queues/api/queues').set('Authorization', basic(USER, PASSWORD));
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it("keeps helmet's default CSP on the board (no inline scripts needed)", async () => {
    const board = await request(app.baseUrl).get('/admin/queues').set('Authorization', basic(USER, PASSWORD));
    const api = await request(app.baseUrl).get('/healthz');
    expect(board.headers['content-security-policy']).toContain("script-src 'self';");
    expect(board.headers['content-security-policy']).toBe(api.headers['content-security-policy']);
  });

  it('refuses state-changing requests from another site', async () => {
    const res = await request(app.baseUrl)
      .put('/admin/queues/api/queues/pause')
      .set('Authorization', basic(USER, PASSWORD))
      .set('Origin', 'https://evil.example')
      .send({ queueNames: ['generate'] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    const fetchSite = await request(app.baseUrl)
      .put('/admin/queues/api/queues/pause')
      .set('Authorization', basic(USER, PASSWORD))
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ queueNames: ['generate'] });
    expect(fetchSite.status).toBe(403);
    // The UI's own requests (same origin) go through.
    const own = await request(app.baseUrl)
      .put('/admin/queues/api/queues/resume')
      .set('Authorization', basic(USER, PASSWORD))
      .set('Origin', app.baseUrl)
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ queueNames: ['generate'] });
    expect(own.status).toBe(200);
  });

  const browserTest = existsSync(CHROMIUM) ? it : it.skip;
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(
      `bull-board.test.ts: ${CHROMIUM} is missing (apt-get install -y chromium); skipping the browser test\n`,
    );
  }

  browserTest(
    'loads in headless Chromium and shows the queues (screenshot in test-artifacts/)',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const denied = await browser.newContext();
        const deniedPage = await denied.newPage();
        // Chromium turns a Basic challenge it cannot answer into a failed navigation.
        const denial = await deniedPage.goto(`${app.baseUrl}/admin/queues`).then(
          (res) => String(res?.status()),
          (err: Error) => err.message,
        );
        expect(denial).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
        await denied.close();

        const context = await browser.newContext({
          httpCredentials: { username: USER, password: PASSWORD },
          viewport: { width: 1280, height: 800 },
        });
        const page = await context.newPage();
        const problems: string[] = [];
        const fonts = /fonts\.(googleapis|gstatic)\.com/;
        page.on('console', (msg) => {
          if (msg.type() === 'error' && !fonts.test(msg.location().url))
            problems.push(`${msg.text()} (${msg.location().url})`);
        });
        page.on('requestfailed', (req) => {
          if (!fonts.test(req.url())) problems.push(`${req.url()}: ${req.failure()?.errorText}`);
        });
        page.on('pageerror', (err) => problems.push(err.message));
        // No network here: keep the page from waiting on Google Fonts.
        await page.route(/fonts\.(googleapis|gstatic)\.com/, (route) => route.abort());
        const response = await page.goto(`${app.baseUrl}/admin/queues`);
        expect(response?.status()).toBe(200);
        for (const name of QUEUE_NAMES) {
          await page.getByText(name, { exact: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
        }
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: resolve(ARTIFACTS, 'bull-board.png'), fullPage: true });
        // A CSP that blocked a script, style or request would show up here.
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
