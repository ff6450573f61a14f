import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { cliHome, runCli, type CliResult } from '../support/cli-runner';
import { createProject, generate } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { bearer, registerUser, type TestUser } from '../support/users';
import { unzip } from './export-support';

let stack: Stack;

beforeAll(async () => {
  // No worker at first: submitted jobs stay queued for `jobs cancel`; one starts for the edits.
  // Offline files are written 150 ms a chunk (about 2 s a project), so the CLI's event stream
  // opens while they are still being written.
  stack = await startStack('cli-edit', { LLM_PROVIDER: 'offline', OFFLINE_STREAM_CHUNK_MS: '150' }, 0);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

/** No error output may carry a stack trace. */
const noStack = (r: CliResult) => expect(r.stderr).not.toMatch(/\n\s+at /);

/** A registered user logged in with the CLI in a home of its own. */
async function loggedIn(label: string): Promise<TestUser & { home: string }> {
  const user = await registerUser(stack.apiUrl, label);
  const home = cliHome(label);
  const r = await runCli(['login', '--email', user.email, '--password-stdin'], {
    apiUrl: stack.apiUrl,
    home,
    stdin: `${user.password}\n`,
  });
  expect(r.code).toBe(0);
  return { ...user, home };
}

const cli = (user: { home: string }, ...args: string[]) => runCli(args, { apiUrl: stack.apiUrl, home: user.home });

/** The `✓ path` lines of the files the CLI showed as finished while the job ran. */
const writtenFiles = (stdout: string) => [...stdout.matchAll(/^✓ (\S+) \(\d+ chars\)$/gm)].map((m) => m[1]!);
/** The `  path` lines of the final file list. */
const listedFiles = (stdout: string) => [...stdout.matchAll(/^ {2}(\S+)$/gm)].map((m) => m[1]!);

describe('vectort jobs cancel (no worker running: jobs stay queued)', () => {
  it('cancels a queued job (exit 0, credits refunded); a second cancel exits 1 with the conflict message', async () => {
    const user = await loggedIn('cancel');
    const projectId = await createProject(stack.apiUrl, user.token);
    const submitted = await generate(stack.apiUrl, user.token, projectId, { description: 'a queued pomodoro timer' });
    expect(submitted.status).toBe(202);
    const jobId = submitted.body.job_id as string;
    const me = await request(stack.apiUrl)
      .get('/api/me')
      .set(...bearer(user));
    expect(me.body.credits).toBe(19);

    const r = await cli(user, 'jobs', 'cancel', jobId);
    noStack(r);
    expect(r).toEqual({ code: 0, stdout: `Job ${jobId} (generate): cancelled\n`, stderr: '' });
    const job = await request(stack.apiUrl)
      .get(`/api/jobs/${jobId}`)
      .set(...bearer(user));
    expect(job.body.status).toBe('cancelled');
    const after = await request(stack.apiUrl)
      .get('/api/me')
      .set(...bearer(user));
    expect(after.body.credits).toBe(20);

    const again = await cli(user, 'jobs', 'cancel', jobId);
    noStack(again);
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr: 'vectort: The job has already ended (cancelled) [conflict]\n',
    });
  });

  it("exits 1 with the contract's not_found message for an unknown, malformed or another user's job id", async () => {
    const user = await loggedIn('cancel404');
    const other = await registerUser(stack.apiUrl, 'cancelother');
    const theirs = await generate(stack.apiUrl, other.token, await createProject(stack.apiUrl, other.token), {
      description: 'somebody else s queued job',
    });
    expect(theirs.status).toBe(202);
    for (const id of ['0123456789abcdef01234567', 'not-an-id', theirs.body.job_id as string]) {
      const r = await cli(user, 'jobs', 'cancel', id);
      noStack(r);
      expect({ id, code: r.code, stderr: r.stderr }).toEqual({
        id,
        code: 1,
        stderr: 'vectort: Job not found [not_found]\n',
      });
    }
    // Another user's job is untouched.
    const job = await request(stack.apiUrl)
      .get(`/api/jobs/${theirs.body.job_id}`)
      .set(...bearer(other));
    expect(job.body.status).toBe('queued');
  });

  it('exits 2 on usage errors of edit and jobs, 3 without a token', async () => {
    const user = await loggedIn('cliusage');
    for (const args of [
      ['jobs'],
      ['jobs', 'cancel'],
      ['jobs', 'list'],
      ['jobs', 'cancel', 'a', 'b'],
      ['jobs', 'cancel', 'a', '--bogus'],
      ['edit'],
      ['edit', '0123456789abcdef01234567'],
      ['edit', '0123456789abcdef01234567', '   '],
      ['edit', '0123456789abcdef01234567', 'dark mode', '--bogus'],
      ['edit', '0123456789abcdef01234567', 'dark mode', '--out'],
    ]) {
      const r = await cli(user, ...args);
      noStack(r);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/^vectort: /);
    }
    const nobody = { home: cliHome('nobody') };
    for (const args of [
      ['jobs', 'cancel', '0123456789abcdef01234567'],
      ['edit', '0123456789abcdef01234567', 'dark mode'],
    ]) {
      const r = await cli(nobody, ...args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({
        args,
        code: 3,
        stderr: 'vectort: not logged in (run `vectort login`)\n',
      });
    }
  });
});

describe('vectort generate and edit (with a worker)', () => {
  beforeAll(async () => {
    await stack.startWorker();
  }, 30_000);

  it('generate shows each file as it is written, then edit makes version 2 whose ZIP matches the API', async () => {
    const user = await loggedIn('edit');
    const gen = await cli(user, 'generate', 'a habit tracker with streaks', '--out', 'v1.zip');
    noStack(gen);
    expect(gen.code).toBe(0);
    const [, genId] = gen.stdout.match(/^Generation ([0-9a-f]{24}), version 1, project [0-9a-f]{24}$/m) ?? [];
    expect(genId).toBeDefined();
    // Live `file` events: every file of the result was shown as written, before the final list.
    const v1 = listedFiles(gen.stdout);
    expect(v1.length).toBeGreaterThan(1);
    expect(writtenFiles(gen.stdout).sort()).toEqual([...v1].sort());
    expect(gen.stdout.indexOf('✓ ')).toBeLessThan(gen.stdout.indexOf('Generation '));

    const edit = await cli(user, 'edit', genId!, 'add a dark mode toggle', '--out', 'v2.zip');
    noStack(edit);
    expect(edit.code).toBe(0);
    expect(edit.stdout).toMatch(/^Queued job [0-9a-f]{24}$/m);
    expect(edit.stdout).toMatch(/\[#{30}\] 100% completed/);
    expect(edit.stdout).toContain(`Edited ${genId} into version 2: 0 added, 2 modified, 0 deleted\n`);
    const [, newId] = edit.stdout.match(/^Generation ([0-9a-f]{24}), version 2, project [0-9a-f]{24}$/m) ?? [];
    expect(newId).toBeDefined();
    expect(newId).not.toBe(genId);
    // The edited files were shown as the model wrote them.
    expect(writtenFiles(edit.stdout).length).toBeGreaterThan(0);

    const api = await request(stack.apiUrl)
      .get(`/api/generations/${newId}`)
      .set(...bearer(user));
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ version: 2, parent_id: genId, instruction: 'add a dark mode toggle' });
    expect(writtenFiles(edit.stdout).sort()).toEqual([...api.body.changes.modified].sort());
    const zip = await unzip(readFileSync(join(user.home, 'v2.zip')));
    const files = api.body.files as { path: string; content: string }[];
    expect([...zip.keys()].sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) expect({ path: f.path, content: zip.get(f.path)?.toString('utf8') }).toEqual(f);
    expect(files.find((f) => f.path === 'README.md')?.content).toContain('add a dark mode toggle');
    expect(listedFiles(edit.stdout).sort()).toEqual(files.map((f) => f.path).sort());
    expect(edit.stdout).toContain(`Saved ${join(user.home, 'v2.zip')}`);

    // The edit job has ended: cancelling it is the contract's conflict.
    const [, editJob] = edit.stdout.match(/^Queued job ([0-9a-f]{24})$/m) ?? [];
    const late = await cli(user, 'jobs', 'cancel', editJob!);
    noStack(late);
    expect(late).toMatchObject({ code: 1, stderr: 'vectort: The job has already ended (completed) [conflict]\n' });

    // The same edit of the same code again is a free cache hit, still downloaded.
    const hit = await cli(user, 'edit', genId!, 'add a dark mode toggle', '--out', 'again.zip');
    noStack(hit);
    expect(hit.code).toBe(0);
    expect(hit.stdout).toMatch(/^Cache hit: generation [0-9a-f]{24} \(no credits used\)$/m);
    expect(hit.stdout).toMatch(/^Generation [0-9a-f]{24}, version 2, project [0-9a-f]{24}$/m);
    const again = await unzip(readFileSync(join(user.home, 'again.zip')));
    expect([...again.keys()].sort()).toEqual([...zip.keys()].sort());
  }, 90_000);

  it("edit of an unknown generation exits 1 with the contract's message", async () => {
    const user = await loggedIn('edit404');
    const r = await cli(user, 'edit', '0123456789abcdef01234567', 'add a footer');
    noStack(r);
    expect(r).toMatchObject({ code: 1, stderr: 'vectort: Generation not found [not_found]\n' });
  });
});
