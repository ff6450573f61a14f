import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ObjectId } from 'mongodb';
import request from 'supertest';
import { startFakeLlm, userMessageText, type ChatRequestBody, type FakeLlm } from '../support/fake-llm-server';
import { balance, createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser, type TestUser } from '../support/users';
import { startWebhookReceiver, type WebhookReceiver } from '../../apps/worker/test/webhooks/webhook-receiver';
import { download, unzip } from './export-support';

type File = { path: string; content: string };

let llm: FakeLlm;
let stack: Stack;
let receiver: WebhookReceiver;

/** Parent generations bigger than this are refused at submit (set low so a test can cross it). */
const MAX_INPUT = 3000;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  llm = await startFakeLlm();
  stack = await startStack('edits', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_MODEL: 'gpt-5-mini',
    LLM_TIMEOUT_SECONDS: '10',
    WORKER_LOCK_DURATION_MS: '2000',
    LLM_LEASE_TTL_MS: '2000',
    EDIT_MAX_INPUT_BYTES: String(MAX_INPUT),
    PAYMENT_PROVIDER: 'test',
    // The webhook receiver listens on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
  await receiver?.close();
});

beforeEach(() => llm.reset());

let counter = 0;
const unique = (label: string) => `${label} number ${++counter} built at ${Date.now()}`;

async function user(): Promise<TestUser & { projectId: string }> {
  const u = await registerUser(stack.apiUrl, 'edits');
  return { ...u, projectId: await createProject(stack.apiUrl, u.token) };
}

const isEdit = (req: ChatRequestBody) => String(req.messages?.[0]?.content ?? '').includes('You change an existing');

/** What the fake model was sent for an edit: the parent's files and the instruction. */
function editInput(req: ChatRequestBody): { files: File[]; instruction: string } {
  return JSON.parse(userMessageText(req)) as { files: File[]; instruction: string };
}

/** A model that answers edits sensibly: the instruction appended to app.js, plus what `extra` adds. */
function editingModel(extra: (input: { files: File[]; instruction: string }) => object = () => ({})) {
  return (req: ChatRequestBody) => {
    const input = editInput(req);
    const app = input.files.find((f) => f.path === 'app.js')?.content ?? '';
    return JSON.stringify({
      files: [{ path: 'app.js', content: `${app}// ${input.instruction}\n` }],
      deleted: [],
      instructions: null,
      ...extra(input),
    });
  };
}

function edit(token: string, id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request(stack.apiUrl)
    .post(`/api/generations/${id}/edits`)
    .set('Authorization', `Bearer ${token}`)
    .set(headers)
    .send(body);
}

async function generated(u: TestUser & { projectId: string }, description = unique('A notes app')) {
  const res = await generate(stack.apiUrl, u.token, u.projectId, { description, framework: 'html' });
  expect([200, 202]).toContain(res.status);
  if (res.status === 200) return res.body.generation;
  const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id);
  expect(job.status).toBe('completed');
  return job.result.generation;
}

async function editedJob(token: string, id: string, instruction: string) {
  const res = await edit(token, id, { instruction });
  expect(res.status).toBe(202);
  expect(res.headers['x-cache']).toBe('MISS');
  return waitForJob(stack.apiUrl, token, res.body.job_id);
}

const get = (token: string, path: string) => request(stack.apiUrl).get(path).set('Authorization', `Bearer ${token}`);
const byPath = (files: File[]) => [...files].sort((a, b) => (a.path < b.path ? -1 : 1));

function gitApply(older: File[], patch: string): File[] {
  const scratch = mkdtempSync(join(tmpdir(), 'vectort-edits-'));
  const dir = join(scratch, 'tree');
  try {
    for (const f of older) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(scratch, 'edit.patch'), patch);
    execFileSync('git', ['init', '-q', '.'], { cwd: dir });
    execFileSync('git', ['apply', '--whitespace=nowarn', join(scratch, 'edit.patch')], { cwd: dir });
    const read = (d: string): File[] =>
      readdirSync(d).flatMap((name) => {
        const full = join(d, name);
        if (name === '.git') return [];
        if (statSync(full).isDirectory()) return read(full);
        return [{ path: relative(dir, full), content: readFileSync(full, 'utf8') }];
      });
    return read(dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

describe('versions', () => {
  it('edits v1 into v2 and v2 into v3 (a deletion), with changes, costs, list, diffs that git applies, and exports of v1', async () => {
    const u = await user();
    const v1 = await generated(u);
    expect(v1).toMatchObject({ version: 1, parent_id: null, instruction: null });
    expect(v1.changes).toEqual({ added: v1.files.map((f: File) => f.path), modified: [], deleted: [] });
    expect(await balance(stack.apiUrl, u.token)).toBe(19);

    llm.setBehavior({
      kind: 'ok',
      content: (req) => {
        const input = editInput(req);
        const app = input.files.find((f) => f.path === 'app.js')!.content;
        return JSON.stringify({
          files: [
            { path: 'app.js', content: `${app}// ${input.instruction}\n` },
            { path: 'src/theme.css', content: 'body.dark { background: #111; }\n' },
          ],
          deleted: [],
          instructions: null,
        });
      },
    });
    const job2 = await editedJob(u.token, v1.id, 'Add a dark mode toggle');
    expect(job2).toMatchObject({ kind: 'edit', status: 'completed', project_id: u.projectId });
    const v2 = job2.result.generation;
    expect(v2).toMatchObject({
      project_id: u.projectId,
      version: 2,
      parent_id: v1.id,
      instruction: 'Add a dark mode toggle',
      cached: false,
      description: v1.description,
      framework: 'html',
      entrypoint: v1.entrypoint,
      instructions: v1.instructions,
      changes: { added: ['src/theme.css'], modified: ['app.js'], deleted: [] },
    });
    // The whole file set after the edit: untouched files as they were.
    expect(byPath(v2.files)).toEqual(
      byPath([
        ...v1.files.map((f: File) =>
          f.path === 'app.js' ? { path: 'app.js', content: `${f.content}// Add a dark mode toggle\n` } : f,
        ),
        { path: 'src/theme.css', content: 'body.dark { background: #111; }\n' },
      ]),
    );
    // The model was sent the parent's files and the instruction.
    const sent = editInput(llm.requests.find(isEdit)!);
    expect(sent.instruction).toBe('Add a dark mode toggle');
    expect(byPath(sent.files)).toEqual(byPath(v1.files));
    expect(await balance(stack.apiUrl, u.token)).toBe(18);

    llm.setBehavior({
      kind: 'ok',
      content: editingModel(() => ({ deleted: ['README.md'] })),
    });
    const job3 = await editedJob(u.token, v2.id, 'Drop the readme');
    const v3 = job3.result.generation;
    expect(v3).toMatchObject({
      version: 3,
      parent_id: v2.id,
      instruction: 'Drop the readme',
      changes: { added: [], modified: ['app.js'], deleted: ['README.md'] },
    });
    expect(v3.files.map((f: File) => f.path)).not.toContain('README.md');
    expect(await balance(stack.apiUrl, u.token)).toBe(17);

    const project = await get(u.token, `/api/projects/${u.projectId}`);
    expect(project.body.latest_generation_id).toBe(v3.id);
    const list = await get(u.token, `/api/projects/${u.projectId}/generations`);
    expect(list.body.items.map((g: { id: string; version: number }) => [g.id, g.version])).toEqual([
      [v3.id, 3],
      [v2.id, 2],
      [v1.id, 1],
    ]);
    expect(list.body.items[2]).toMatchObject({ parent_id: null, changes: v1.changes });
    expect(list.body.items[0]).not.toHaveProperty('files');
    expect((await get(u.token, `/api/generations/${v2.id}`)).body).toEqual(v2);

    // Diffs: from the parent by default, from any own version with `against`; real git applies them.
    const d3 = await get(u.token, `/api/generations/${v3.id}/diff`);
    expect(d3.status).toBe(200);
    expect(d3.headers['content-type']).toMatch(/^text\/plain/);
    expect(d3.text).toContain('diff --git a/README.md b/README.md\ndeleted file mode 100644');
    expect(byPath(gitApply(v2.files, d3.text))).toEqual(byPath(v3.files));
    const d13 = await get(u.token, `/api/generations/${v3.id}/diff?against=${v1.id}`);
    expect(d13.text).toContain('diff --git a/src/theme.css b/src/theme.css\nnew file mode 100644');
    expect(byPath(gitApply(v1.files, d13.text))).toEqual(byPath(v3.files));
    const d1 = await get(u.token, `/api/generations/${v1.id}/diff`);
    expect(byPath(gitApply([], d1.text))).toEqual(byPath(v1.files));

    // Any version exports: v1's ZIP holds v1's files after v3 exists.
    const exp = await request(stack.apiUrl)
      .post(`/api/projects/${u.projectId}/export/zip?wait=30`)
      .set('Authorization', `Bearer ${u.token}`)
      .send({ generation_id: v1.id });
    expect(exp.status).toBe(200);
    expect(exp.body.file_count).toBe(v1.files.length);
    const zip = await unzip((await download(exp.body.download_url)).body);
    expect([...zip.keys()].sort()).toEqual(v1.files.map((f: File) => f.path).sort());
    for (const f of v1.files as File[]) expect(zip.get(f.path)!.toString('utf8')).toBe(f.content);

    // The seed's three log events carry kind and parent_id.
    const events = stack.workers[0]!.entries().filter((e) => e.job_id === job3.job_id);
    for (const name of ['generation_started', 'generation_completed']) {
      expect(events.find((e) => e.message === name)).toMatchObject({ kind: 'edit', parent_id: v2.id });
    }
    const genStarted = stack.workers[0]!.entries().find(
      (e) => e.message === 'generation_started' && e.job_id === v1.id,
    );
    expect(genStarted).toMatchObject({ kind: 'generate', parent_id: null });

    // Edits are counted and costed with their own kind label.
    const metrics = await (await fetch(`http://127.0.0.1:${stack.workers[0]!.env.WORKER_METRICS_PORT}/metrics`)).text();
    expect(metrics).toMatch(/vectort_generations_total\{[^}]*kind="edit"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/vectort_llm_cost_usd_total\{[^}]*kind="edit"[^}]*\} /);
  });

  it('answers the same edit of identical code from another user as a hit: a new version of their project, free', async () => {
    const a = await user();
    const b = await user();
    const description = unique('A shared counter app');
    const va1 = await generated(a, description);
    const vb1 = await generated(b, description);
    expect(vb1.id).not.toBe(va1.id);
    llm.setBehavior({ kind: 'ok', content: editingModel() });
    const va2 = (await editedJob(a.token, va1.id, 'Count by twos')).result.generation;
    const calls = llm.calls;
    const before = await balance(stack.apiUrl, b.token);

    const hit = await edit(b.token, vb1.id, { instruction: '  count BY   twos ' });
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body.status).toBe('completed');
    expect(hit.body.cached).toBe(true);
    const vb2 = hit.body.generation;
    expect(vb2).toMatchObject({
      project_id: b.projectId,
      version: 2,
      parent_id: vb1.id,
      instruction: 'count BY   twos',
      cached: true,
      cost_usd: 0,
      changes: va2.changes,
    });
    expect(vb2.id).not.toBe(va2.id);
    expect(vb2.files).toEqual(va2.files);
    expect(llm.calls).toBe(calls);
    expect(await balance(stack.apiUrl, b.token)).toBe(before);
    expect((await get(b.token, `/api/projects/${b.projectId}`)).body.latest_generation_id).toBe(vb2.id);
    // The same again in the same project is that project's generation, not another one.
    const again = await edit(b.token, vb1.id, { instruction: 'count by twos' });
    expect(again.body.generation.id).toBe(vb2.id);
    // Nothing of the first requester shows.
    expect(JSON.stringify(hit.body)).not.toContain(a.projectId);
  });

  it('replays an Idempotency-Key, and runs identical concurrent edits as one model call', async () => {
    const u = await user();
    const v1 = await generated(u);
    llm.setBehavior({ kind: 'ok', content: editingModel(), delayMs: 300 });
    const callsBefore = llm.calls;
    const first = await edit(u.token, v1.id, { instruction: 'Add a footer' }, { 'Idempotency-Key': 'edit-key-1' });
    const replay = await edit(u.token, v1.id, { instruction: 'Add a footer' }, { 'Idempotency-Key': 'edit-key-1' });
    expect(replay.status).toBe(202);
    expect(replay.body.job_id).toBe(first.body.job_id);
    const other = await edit(u.token, v1.id, { instruction: 'Add a header' }, { 'Idempotency-Key': 'edit-key-1' });
    expect(other.status).toBe(422);

    const second = await edit(u.token, v1.id, { instruction: 'add a footer' });
    expect(second.status).toBe(202);
    const [j1, j2] = await Promise.all([
      waitForJob(stack.apiUrl, u.token, first.body.job_id),
      waitForJob(stack.apiUrl, u.token, second.body.job_id),
    ]);
    expect([j1.status, j2.status]).toEqual(['completed', 'completed']);
    expect(llm.calls - callsBefore).toBe(1);
    expect(j2.result.generation.files).toEqual(j1.result.generation.files);
    // Generate 1 + one edit that called the model; the waiter's reservation came back.
    expect(await balance(stack.apiUrl, u.token)).toBe(18);
  });
});

describe('webhooks', () => {
  it('announces an edit that ends as generation.completed, and one that fails as generation.failed', async () => {
    const u = await user();
    const v1 = await generated(u);
    llm.setBehavior({ kind: 'ok', content: editingModel() });
    const ok = await edit(u.token, v1.id, { instruction: 'Hook me', webhook_url: `${receiver.url}/edit-done` });
    const okJob = await waitForJob(stack.apiUrl, u.token, ok.body.job_id);
    llm.setBehavior({ kind: 'raw', content: 'no files here' });
    const bad = await edit(u.token, v1.id, { instruction: 'Break me', webhook_url: `${receiver.url}/edit-failed` });
    const badJob = await waitForJob(stack.apiUrl, u.token, bad.body.job_id);
    expect(badJob.status).toBe('failed');
    const deadline = Date.now() + 20_000;
    const on = (path: string) => receiver.requests.filter((r) => r.path === path);
    while ((on('/edit-done').length < 1 || on('/edit-failed').length < 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const done = JSON.parse(String(on('/edit-done')[0]!.body));
    expect(done).toMatchObject({ type: 'generation.completed', data: { job_id: okJob.job_id, kind: 'edit' } });
    expect(done.data.result.generation).toMatchObject({ version: 2, parent_id: v1.id });
    const failed = JSON.parse(String(on('/edit-failed')[0]!.body));
    expect(failed).toMatchObject({
      type: 'generation.failed',
      data: { job_id: badJob.job_id, kind: 'edit', error: { code: 'invalid_llm_output' } },
    });
  });
});

describe('bad input', () => {
  it('refuses an empty or too-long instruction, another user’s generation, a parent still being written or too large', async () => {
    const u = await user();
    const other = await user();
    const v1 = await generated(u);
    for (const instruction of ['', '   ', 'x'.repeat(4001)]) {
      const res = await edit(u.token, v1.id, { instruction });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
    }
    expect((await edit(u.token, v1.id, {})).status).toBe(400);
    const foreign = await edit(other.token, v1.id, { instruction: 'steal it' });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    expect((await get(other.token, `/api/generations/${v1.id}/diff`)).status).toBe(404);
    const ownV1 = await generated(other);
    expect((await get(other.token, `/api/generations/${ownV1.id}/diff?against=${v1.id}`)).status).toBe(404);

    llm.setBehavior({ kind: 'ok', delayMs: 1500 });
    const pending = await generate(stack.apiUrl, u.token, u.projectId, { description: unique('A slow app') });
    expect(pending.status).toBe(202);
    const busy = await edit(u.token, pending.body.job_id, { instruction: 'too early' });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('conflict');
    await waitForJob(stack.apiUrl, u.token, pending.body.job_id);
    expect((await edit(other.token, pending.body.job_id, { instruction: 'too early' })).status).toBe(404);

    llm.setBehavior({
      kind: 'ok',
      content: () => JSON.stringify({ files: [{ path: 'big.txt', content: 'x'.repeat(MAX_INPUT) }] }),
    });
    const big = await generated(u, unique('A big app'));
    const before = await balance(stack.apiUrl, u.token);
    const tooBig = await edit(u.token, big.id, { instruction: 'change it' });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.code).toBe('validation_error');
    expect(await balance(stack.apiUrl, u.token)).toBe(before);

    // Short of credits: 402 on a miss, and no job.
    await stack.mongo
      .db()
      .collection('users')
      .updateOne({ _id: new ObjectId(u.id) }, { $set: { credits: 0 } });
    const broke = await edit(u.token, v1.id, { instruction: unique('cannot pay') });
    expect(broke.status).toBe(402);
    expect(broke.body.error.code).toBe('insufficient_credits');
    expect(await balance(stack.apiUrl, u.token)).toBe(0);
  });

  it('fails model answers that escape the project, delete a missing file or change nothing, storing nothing and refunding', async () => {
    const u = await user();
    const v1 = await generated(u);
    const answers: [object, RegExp][] = [
      [{ files: [{ path: '../outside.js', content: 'x' }], deleted: [] }, /unsafe file path.*"\.\."/],
      [{ files: [{ path: 'C:/win.txt', content: 'x' }], deleted: [] }, /drive letter/],
      [{ files: [], deleted: ['no-such-file.js'] }, /deleted "no-such-file.js", a file the project does not have/],
      [{ files: [], deleted: ['../README.md'] }, /unsafe file path/],
      [{ files: [{ path: 'readme.md', content: 'x' }], deleted: [] }, /more than once/],
      [{ files: [{ path: 'app.js', content: 'x' }], deleted: ['app.js'] }, /both wrote and deleted/],
      [
        { files: [{ path: 'app.js', content: v1.files.find((f: File) => f.path === 'app.js').content }] },
        /changes nothing/,
      ],
      [{ files: [], deleted: [] }, /changes nothing/],
    ];
    for (const [answer, why] of answers) {
      llm.setBehavior({ kind: 'raw', content: JSON.stringify(answer) });
      const before = await balance(stack.apiUrl, u.token);
      const job = await editedJob(u.token, v1.id, unique('break it'));
      expect(job.status).toBe('failed');
      expect(job.error.code).toBe('invalid_llm_output');
      expect(job.error.message).toMatch(why);
      expect(await balance(stack.apiUrl, u.token)).toBe(before);
    }
    const list = await get(u.token, `/api/projects/${u.projectId}/generations`);
    expect(list.body.items.map((g: { id: string }) => g.id)).toEqual([v1.id]);
    expect((await get(u.token, `/api/projects/${u.projectId}`)).body.latest_generation_id).toBe(v1.id);

    // Harmless slips are repaired, as for generations; a files-only fallback form is accepted.
    llm.setBehavior({
      kind: 'raw',
      content: '<file path="./src\\extra.js">export const x = 1;\n</file>',
    });
    const repaired = await editedJob(u.token, v1.id, 'add extra');
    expect(repaired.status).toBe('completed');
    expect(repaired.result.generation.changes).toEqual({ added: ['src/extra.js'], modified: [], deleted: [] });
  });
});
