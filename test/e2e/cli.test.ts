import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { cliHome, runCli, type CliResult } from '../support/cli-runner';
import { startStack, type Stack } from '../support/stack';
import { bearer, registerUser } from '../support/users';
import { unzip } from './export-support';

let llm: FakeLlm;
let stack: Stack;

beforeAll(async () => {
  llm = await startFakeLlm();
  stack = await startStack('cli', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_MODEL: 'gpt-5-mini',
    LLM_TIMEOUT_SECONDS: '10',
    RATE_LIMIT_GENERATE_PER_MINUTE: 'free=2,starter=30,pro=100',
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await llm?.close();
});
beforeEach(() => llm.reset());

const PASSWORD = 'correct horse battery';
/** No error output may carry a stack trace. */
const noStack = (r: CliResult) => expect(r.stderr).not.toMatch(/\n\s+at /);

async function loggedIn(label: string): Promise<{ home: string; email: string }> {
  const home = cliHome(label);
  const email = `${label}-${process.pid}-${Date.now()}@example.com`;
  const r = await runCli(['login', '--register', '--email', email, '--password-stdin'], {
    apiUrl: stack.apiUrl,
    home,
    stdin: `${PASSWORD}\n`,
  });
  expect(r).toMatchObject({ code: 0 });
  return { home, email };
}

describe('vectort CLI against the running stack', () => {
  it('login keeps a working token in $XDG_CONFIG_HOME/vectort with mode 0600', async () => {
    const user = await registerUser(stack.apiUrl, 'clilogin');
    const home = cliHome('login');
    const r = await runCli(['login', '--email', user.email, '--password-stdin'], {
      apiUrl: stack.apiUrl,
      home,
      stdin: `${user.password}\n`,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Logged in as ${user.email}`);
    const file = join(home, 'vectort', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'vectort')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const me = await request(stack.apiUrl)
      .get('/api/me')
      .set(...bearer(saved));
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(user.email);
  });

  it("generate follows the job, downloads the ZIP with the generation's files; a repeat is a free cache hit", async () => {
    const { home } = await loggedIn('gen');
    const r = await runCli(['generate', 'a kanban board with swimlanes', '--framework', 'vue', '--out', 'board.zip'], {
      apiUrl: stack.apiUrl,
      home,
    });
    noStack(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Queued job [0-9a-f]{24}/);
    expect(r.stdout).toMatch(/\[#{30}\] 100% completed/);
    expect(llm.calls).toBe(1);
    const zip = await unzip(readFileSync(join(home, 'board.zip')));
    const listed = [...r.stdout.matchAll(/^ {2}(\S+)$/gm)].map((m) => m[1]);
    expect([...zip.keys()].sort()).toEqual([...listed].sort());
    expect(r.stdout).toContain(`Saved ${join(home, 'board.zip')}`);

    const again = await runCli(['generate', 'a kanban board with swimlanes', '--framework', 'vue', '--out', 'b.zip'], {
      apiUrl: stack.apiUrl,
      home,
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Cache hit');
    expect(llm.calls).toBe(1);

    const credits = await runCli(['credits'], { apiUrl: stack.apiUrl, home });
    expect(credits.code).toBe(0);
    expect(credits.stdout).toContain('Balance: 19 credits');
    expect(credits.stdout).toMatch(/-1 {2}generation {2}job [0-9a-f]{24}/);
  });

  it("exits 1 with the job's error message when the generation fails", async () => {
    const { home } = await loggedIn('fail');
    llm.setBehavior({ kind: 'raw', content: 'Sorry, I cannot help with that.' });
    const r = await runCli(['generate', 'a weather dashboard'], { apiUrl: stack.apiUrl, home });
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vectort: generation failed: .+ \[invalid_llm_output\]\n$/);
  });

  it('exits 2 on usage errors, and leaves no empty project behind a refused submit', async () => {
    const { home } = await loggedIn('usage');
    const none = await runCli([], { apiUrl: stack.apiUrl, home });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Usage:');
    for (const args of [['frobnicate'], ['generate'], ['generate', 'x', '--bogus'], ['generate', 'x', '--framework']]) {
      const r = await runCli(args, { apiUrl: stack.apiUrl, home });
      noStack(r);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    const bad = await runCli(['generate', 'a todo app', '--framework', 'cobol'], { apiUrl: stack.apiUrl, home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^vectort: Invalid request body \(framework: .+\) \[validation_error\]\n$/);
    const saved = JSON.parse(readFileSync(join(home, 'vectort', 'credentials.json'), 'utf8'));
    const projects = await request(stack.apiUrl)
      .get('/api/projects')
      .set(...bearer(saved));
    expect(projects.body.items).toEqual([]);
  });

  it('exits 3 without a token, with a bad token and on a wrong password', async () => {
    const home = cliHome('auth');
    const none = await runCli(['credits'], { apiUrl: stack.apiUrl, home });
    expect(none).toMatchObject({ code: 3, stderr: 'vectort: not logged in (run `vectort login`)\n' });

    const { home: other } = await loggedIn('auth2');
    const file = join(other, 'vectort', 'credentials.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...saved, token: `${saved.token}x` }));
    const tampered = await runCli(['credits'], { apiUrl: stack.apiUrl, home: other });
    noStack(tampered);
    expect(tampered.code).toBe(3);
    expect(tampered.stderr).toMatch(/\[unauthorized\]/);

    const wrong = await runCli(['login', '--email', 'nobody@example.com', '--password-stdin'], {
      apiUrl: stack.apiUrl,
      home,
      stdin: 'not the password\n',
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toBe('vectort: Wrong email or password [unauthorized]\n');
  });

  it("exits 4 when rate limited, with the contract's message and Retry-After", async () => {
    const { home } = await loggedIn('limit');
    // The plan allows 2 misses a minute here (RATE_LIMIT_GENERATE_PER_MINUTE free=2).
    for (const d of ['first distinct app', 'second distinct app']) {
      expect((await runCli(['generate', d, '--out', 'a.zip'], { apiUrl: stack.apiUrl, home })).code).toBe(0);
    }
    const r = await runCli(['generate', 'third distinct app'], { apiUrl: stack.apiUrl, home });
    noStack(r);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/\[rate_limited\]/);
    expect(r.stderr).toMatch(/retry in \d+ s/);
  });

  it('exits 1 with a plain message when the API cannot be reached', async () => {
    const { home } = await loggedIn('down');
    const r = await runCli(['credits'], { apiUrl: 'http://127.0.0.1:9', home });
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vectort: cannot reach the API at http:\/\/127\.0\.0\.1:9/);
  });
});
