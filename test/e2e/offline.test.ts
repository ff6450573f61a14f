import { FRAMEWORKS } from '@vectort/shared';
import { createProject, generate, waitForJob } from '../support/http';
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
