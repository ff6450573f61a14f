import request from 'supertest';
import { FRAMEWORKS } from '@vectort/shared';
import { balance, createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser } from '../support/users';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('offline', { LLM_PROVIDER: 'offline' });
}, 60_000);
afterAll(() => stack?.stop());

it('generates a non-empty, path-safe project offline for every framework, at no cost', async () => {
  const u = await registerUser(stack.apiUrl, 'offline');
  const projectId = await createProject(stack.apiUrl, u.token);
  for (const framework of FRAMEWORKS) {
    const res = await generate(stack.apiUrl, u.token, projectId, {
      description: `An offline ${framework} app "quoted" </script>`,
      framework,
    });
    expect(res.status).toBe(202);
    const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id);
    expect(job.status).toBe('completed');
    const g = job.result.generation;
    expect(g).toMatchObject({ framework, provider: 'offline', cost_usd: 0, cached: false });
    expect(g.files.length).toBeGreaterThan(1);
    for (const f of g.files) {
      expect(f.path).not.toMatch(/(^|\/)\.\.(\/|$)|^\/|\\|\0|^[A-Za-z]:/);
      expect(f.content.length).toBeGreaterThan(0);
    }
    expect(g.files.map((f: { path: string }) => f.path)).toContain(g.entrypoint);
  }
});

it('edits offline too: v2 and v3 record each instruction in README.md and on the main page, at no cost', async () => {
  const u = await registerUser(stack.apiUrl, 'offline-edit');
  const projectId = await createProject(stack.apiUrl, u.token);
  const res = await generate(stack.apiUrl, u.token, projectId, {
    description: 'An offline notes app',
    framework: 'react',
  });
  const v1 = (await waitForJob(stack.apiUrl, u.token, res.body.job_id)).result.generation;
  let parent = v1;
  for (const [version, instruction] of [
    [2, 'Add a dark mode toggle'],
    [3, 'Sort notes by date'],
  ] as const) {
    const submit = await request(stack.apiUrl)
      .post(`/api/generations/${parent.id}/edits`)
      .set('Authorization', `Bearer ${u.token}`)
      .send({ instruction });
    expect(submit.status).toBe(202);
    const job = await waitForJob(stack.apiUrl, u.token, submit.body.job_id);
    expect(job).toMatchObject({ kind: 'edit', status: 'completed' });
    const g = job.result.generation;
    expect(g).toMatchObject({ version, parent_id: parent.id, instruction, provider: 'offline', cost_usd: 0 });
    expect(g.changes).toEqual({ added: [], modified: ['README.md', 'src/App.jsx'], deleted: [] });
    const file = (path: string) => g.files.find((f: { path: string }) => f.path === path).content as string;
    expect(file('README.md')).toContain(
      `## Changes\n\n- Add a dark mode toggle\n${version === 3 ? '- Sort notes by date\n' : ''}`,
    );
    expect(file('src/App.jsx')).toContain(`<li>{${JSON.stringify(instruction)}}</li>`);
    parent = g;
  }
  expect(await balance(stack.apiUrl, u.token)).toBe(17);
});
