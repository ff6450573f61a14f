import { startFakeLlm, type FakeLlm } from '../../../../test/support/fake-llm-server';
import { parseLlmOutput } from '../../src/llm/output-parser';

function chat(llm: FakeLlm, description: string): Promise<Response> {
  return fetch(`${llm.url}/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      model: 'm',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: description },
      ],
    }),
  });
}

async function content(res: Response): Promise<string> {
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return body.choices[0]!.message.content;
}

describe('fake LLM server', () => {
  let llm: FakeLlm;
  beforeEach(async () => {
    llm = await startFakeLlm();
  });
  afterEach(async () => {
    await llm.close();
  });

  it('listens on loopback with a /v1 base URL and answers a chat.completion', async () => {
    expect(llm.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await chat(llm, 'A todo app');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, finish_reason: 'stop' }],
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect((await fetch(`${llm.url}/nope`)).status).toBe(404);
  });

  it('derives a valid project from the user message, different per description', async () => {
    const a = parseLlmOutput(await content(await chat(llm, 'A todo app')));
    const b = parseLlmOutput(await content(await chat(llm, 'A chess clock')));
    expect(a.files.length).toBeGreaterThan(0);
    expect(JSON.stringify(a.files)).toContain('A todo app');
    expect(a.files).not.toEqual(b.files);
  });

  it('counts concurrent calls exactly and records every body', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => chat(llm, `app ${i}`).then((r) => r.text())));
    expect(llm.calls).toBe(20);
    expect(llm.requests).toHaveLength(20);
    llm.reset();
    expect(llm.calls).toBe(0);
    expect(llm.requests).toHaveLength(0);
  });

  it('counts a call on arrival, before a delayed answer', async () => {
    llm.setBehavior({ kind: 'ok', delayMs: 300 });
    const pending = chat(llm, 'slow');
    await new Promise((r) => setTimeout(r, 100));
    expect(llm.calls).toBe(1);
    expect((await pending).status).toBe(200);
  });

  it('uses one-shot behaviours in order, then the current one', async () => {
    llm.enqueue({ kind: 'status', status: 429, retryAfter: 2 }, { kind: 'raw', content: 'not a project' });
    llm.setBehavior({ kind: 'ok', content: (req) => `echo ${req.model}` });
    const limited = await chat(llm, 'x');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(((await limited.json()) as { error: { message: string } }).error.message).toMatch(/429/);
    expect(await content(await chat(llm, 'x'))).toBe('not a project');
    expect(await content(await chat(llm, 'x'))).toBe('echo m');
    expect(await content(await chat(llm, 'x'))).toBe('echo m');
  });

  it('sends a raw HTTP body for the body behaviour', async () => {
    llm.setBehavior({ kind: 'body', body: '{"broken": ' });
    expect(await (await chat(llm, 'x')).text()).toBe('{"broken": ');
  });

  it('holds a hung request until close, and close ends it promptly', async () => {
    llm.setBehavior({ kind: 'hang' });
    const pending = chat(llm, 'x').then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(llm.calls).toBe(1);
    const started = Date.now();
    await llm.close();
    expect(await pending).toBe('failed');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
