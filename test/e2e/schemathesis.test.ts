import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { startStack, type Stack } from '../support/stack';
import { bearer, registerUser, type TestUser } from '../support/users';

// Property-based testing of the running API (API + worker processes) from its own OpenAPI
// document, with schemathesis from the project's venv (scripts/lib/schemathesis.mjs, set up by
// `npm test`). Bounded: --max-time, one worker, loopback only.
const BIN = process.env.SCHEMATHESIS_BIN ?? resolve(__dirname, '../../.data/venv/bin/schemathesis');
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');
const MAX_TIME_SECONDS = 75;
/** "No 5xx, no response that breaks the document." */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];

let stack: Stack;
let user: TestUser;
const ADMIN_EMAIL = `fuzz-admin-${process.pid}@example.com`;

beforeAll(async () => {
  stack = await startStack('fuzz', {
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    RATE_LIMIT_GENERATE_PER_MINUTE: 'free=100000,starter=100000,pro=100000',
    RATE_LIMIT_EXPORT_PER_MINUTE: 'free=100000,starter=100000,pro=100000',
    PAYMENT_PROVIDER: 'test',
    // So PATCH /api/admin/users/{id} is reached too (this branch still reads ADMIN_EMAILS).
    ADMIN_EMAILS: ADMIN_EMAIL,
  });
  const res = await request(stack.apiUrl)
    .post('/api/auth/register')
    .send({ email: ADMIN_EMAIL, password: 'correct horse battery' });
  user = { token: res.body.token, id: res.body.user.id, email: ADMIN_EMAIL, password: 'correct horse battery' };
}, 60_000);
afterAll(() => stack?.stop());

/** Real objects of the user, so operations on `{id}` reach their logic instead of 404. */
async function fixtures() {
  const api = request(stack.apiUrl);
  const project = (
    await api
      .post('/api/projects')
      .set(...bearer(user))
      .send({ name: 'fuzzed' })
  ).body;
  const doomed = (
    await api
      .post('/api/projects')
      .set(...bearer(user))
      .send({ name: 'to delete' })
  ).body;
  const submitted = await api
    .post(`/api/projects/${project.id}/generate`)
    .set(...bearer(user))
    .send({ description: 'a fuzzing target app' });
  const job = (await api.get(`/api/jobs/${submitted.body.job_id}?wait=20`).set(...bearer(user))).body;
  expect(job.status).toBe('completed');
  const exported = await api
    .post(`/api/projects/${project.id}/export/zip?wait=20`)
    .set(...bearer(user))
    .send({});
  expect(exported.status).toBe(200);
  return { project: project.id, doomed: doomed.id, generation: job.result.generation.id, job: job.job_id };
}

function configFile(ids: Awaited<ReturnType<typeof fixtures>>, other: TestUser): string {
  const op = (name: string, params: Record<string, string>) =>
    `[[operations]]\ninclude-name = "${name}"\nparameters = { ${Object.entries(params)
      .map(([k, v]) => `"${k}" = "${v}"`)
      .join(', ')} }\n`;
  const entries = [
    ...['GET', 'PATCH'].map((m) => op(`${m} /api/projects/{id}`, { id: ids.project })),
    op('DELETE /api/projects/{id}', { id: ids.doomed }),
    op('POST /api/projects/{id}/generate', { id: ids.project }),
    op('GET /api/projects/{id}/generations', { id: ids.project }),
    op('POST /api/projects/{id}/export/zip', { id: ids.project }),
    op('GET /api/projects/{id}/export', { id: ids.project }),
    op('GET /api/generations/{id}', { id: ids.generation }),
    op('POST /api/generations/{id}/edits', { id: ids.generation }),
    op('GET /api/generations/{id}/diff', { id: ids.generation }),
    op('POST /api/jobs/{id}/cancel', { id: ids.job }),
    op('GET /api/jobs/{id}', { id: ids.job }),
    op('GET /api/jobs/{id}/events', { id: ids.job }),
    op('PATCH /api/admin/users/{id}', { id: other.id }),
    op('GET /docs/assets/{file}', { file: 'swagger-ui.css' }),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'vectort-schemathesis-'));
  const file = join(dir, 'schemathesis.toml');
  writeFileSync(file, entries.join('\n'));
  return file;
}

function runSchemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(BIN, args, {
      cwd: mkdtempSync(join(tmpdir(), 'vectort-schemathesis-run-')), // its .schemathesis/ cache goes there
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (MAX_TIME_SECONDS + 90) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

describe('schemathesis against the running stack', () => {
  it('finds no 5xx and no response that breaks the document, on every operation it can reach', async () => {
    expect({ schemathesis: BIN, installed: existsSync(BIN) }).toEqual({ schemathesis: BIN, installed: true });
    const ids = await fixtures();
    const other = await registerUser(stack.apiUrl, 'fuzzother');
    mkdirSync(ARTIFACTS, { recursive: true });
    const { code, output } = await runSchemathesis([
      '--config-file',
      configFile(ids, other),
      'run',
      `${stack.apiUrl}/api/openapi.json`,
      '--url',
      stack.apiUrl,
      '--header',
      `Authorization: Bearer ${user.token}`,
      '--checks',
      CHECKS.join(','),
      // Not mounted without ADMIN_USER / ADMIN_PASSWORD; its UI is not this API's JSON.
      '--exclude-path',
      '/admin/queues',
      // It revokes the very token the run uses, and everything after would be 401.
      '--exclude-path',
      '/api/auth/logout',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '30',
      '--max-time',
      String(MAX_TIME_SECONDS),
      '--request-timeout',
      '15',
      '--workers',
      '1',
      '--seed',
      '20261201',
    ]);
    writeFileSync(join(ARTIFACTS, 'schemathesis.txt'), output);
    const summary = output.slice(output.lastIndexOf('SUMMARY'));
    const tested = Number(/Tested: (\d+)/.exec(summary)?.[1] ?? 0);
    const cases = /(\d+) generated, (\d+) passed/.exec(summary);
    // One line of figures; the whole report (whose last line reads like another test runner's
    // closing summary) stays in test-artifacts/schemathesis.txt.
    process.stderr.write(
      `schemathesis: ${tested} operations tested, ${cases?.[1] ?? 0} cases generated, ${cases?.[2] ?? 0} passed, exit ${code} (report: test-artifacts/schemathesis.txt)\n`,
    );
    expect({ code, failures: summary.match(/\d+ failed/g) ?? [] }).toEqual({ code: 0, failures: [] });
    // Every documented operation but the board was exercised.
    expect(tested).toBeGreaterThanOrEqual(26);
    expect(Number(cases?.[1] ?? 0)).toBeGreaterThan(500);
    expect(cases?.[1]).toBe(cases?.[2]);
  }, 240_000);
});
