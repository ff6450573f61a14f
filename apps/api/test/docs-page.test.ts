import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import request from 'supertest';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');

describe('GET /docs', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('docs');
  });
  afterAll(() => app?.close());

  it('serves the page and its assets from the API itself, and nothing else of swagger-ui-dist', async () => {
    const page = await request(app.baseUrl).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/assets/')).toBe(true);
      const res = await request(app.baseUrl).get(asset);
      expect(res.status).toBe(200);
    }
    // Helmet's default CSP, unweakened: the page needs no inline script and no foreign origin.
    const api = await request(app.baseUrl).get('/healthz');
    expect(page.headers['content-security-policy']).toContain("script-src 'self';");
    expect(page.headers['content-security-policy']).toBe(api.headers['content-security-policy']);
    const other = await request(app.baseUrl).get('/docs/assets/package.json');
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('not_found');
    const traversal = await request(app.baseUrl).get('/docs/assets/..%2Fpackage.json');
    expect(traversal.status).toBe(404);
  });

  const browserTest = existsSync(CHROMIUM) ? it : it.skip;
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`docs-page.test.ts: ${CHROMIUM} is missing (apt-get install -y chromium); skipping\n`);
  }

  browserTest(
    'renders every operation in headless Chromium with no CSP or network error (screenshot in test-artifacts/)',
    async () => {
      const doc = (await request(app.baseUrl).get('/api/openapi.json')).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const problems: string[] = [];
        const foreign: string[] = [];
        page.on('console', (msg) => {
          if (msg.type() === 'error') problems.push(`${msg.text()} (${msg.location().url})`);
        });
        page.on('pageerror', (err) => problems.push(err.message));
        page.on('requestfailed', (req) => problems.push(`${req.url()}: ${req.failure()?.errorText}`));
        page.on('request', (req) => {
          if (!req.url().startsWith(app.baseUrl) && !req.url().startsWith('data:')) foreign.push(req.url());
        });
        const response = await page.goto(`${app.baseUrl}/docs`);
        expect(response?.status()).toBe(200);
        await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 20_000 });

        const text = await page.locator('#swagger-ui').innerText();
        expect(text).toContain('Vectort API');
        const shown = await page
          .locator('.opblock-summary-path')
          .evaluateAll((els) => els.map((el) => el.getAttribute('data-path') ?? el.textContent ?? ''));
        const documented = Object.keys(doc.paths);
        // Every path of the document, as the page lists it (one block per operation).
        expect([...new Set(shown.map((p) => p.replace(/\u200b/g, '')))].sort()).toEqual([...documented].sort());
        const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
        expect(await page.locator('.opblock').count()).toBe(operations);

        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: resolve(ARTIFACTS, 'docs.png'), fullPage: false });
        expect(foreign).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
