import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { createProject, generate, waitForJob } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { registerUser } from '../support/users';

// Issue 11 finding 3: a model answer crafted to be slow to parse froze the worker's event loop
// (one 41 KB answer held /healthz for 14.7 s). Any OpenAI-compatible server can send one.
let llm: FakeLlm;
let stack: Stack;

beforeAll(async () => {
  llm = await startFakeLlm();
  stack = await startStack('hostile', {
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: llm.url,
    LLM_TIMEOUT_SECONDS: '20',
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
});

/** ~1 MiB of unclosed `<file>` tags, unclosed fences and list-marker label lines. */
function hostileAnswer(): string {
  const tags = "<file path='a'>".repeat(30_000);
  const labels = `${'- '.repeat(2000)}a.js\n\`\`\`\nx\n\`\`\`\n`.repeat(80);
  const fences = '```js\n'.repeat(40_000);
  return `${tags}\n${labels}\n${fences}`;
}

describe('a hostile model answer', () => {
  it('fails the job as invalid_llm_output while the worker keeps answering /healthz', async () => {
    const content = hostileAnswer();
    expect(content.length).toBeGreaterThan(900_000);
    llm.setBehavior({ kind: 'raw', content });
    const user = await registerUser(stack.apiUrl, 'hostile');
    const projectId = await createProject(stack.apiUrl, user.token);
    const healthz = `http://127.0.0.1:${stack.workers[0]!.env.WORKER_METRICS_PORT}/healthz`;

    let done = false;
    let slowest = 0;
    let probes = 0;
    const probing = (async () => {
      while (!done) {
        const t0 = performance.now();
        const res = await fetch(healthz, { signal: AbortSignal.timeout(10_000) });
        expect(res.status).toBe(200);
        slowest = Math.max(slowest, performance.now() - t0);
        probes++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const submitted = await generate(stack.apiUrl, user.token, projectId, { description: 'a hostile answer' });
    expect(submitted.status).toBe(202);
    const job = await waitForJob(stack.apiUrl, user.token, submitted.body.job_id, 30_000).finally(() => {
      done = true;
    });
    await probing;

    expect(llm.calls).toBe(1);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'invalid_llm_output' } });
    expect(probes).toBeGreaterThan(3);
    // The parse of ~1 MiB takes well under a second; before the fix it took minutes.
    expect(slowest).toBeLessThan(1000);
  });
});
