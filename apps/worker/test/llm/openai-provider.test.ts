import { startFakeLlm, type FakeLlm } from '../../../../test/support/fake-llm-server';
import { LlmError } from '../../src/llm/llm-errors';
import type { GenerationRequest, LlmResult } from '../../src/llm/llm-provider';
import { createOpenAiProvider, type OpenAiProviderOptions } from '../../src/llm/openai-provider';

const API_KEY = 'sk-test-secret-key-1234567890';
const req: GenerationRequest = { description: 'A recipe box with tags', framework: 'react', type: 'web_app' };

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await llm.close();
});
beforeEach(() => llm.reset());

function provider(overrides: Partial<OpenAiProviderOptions> = {}) {
  return createOpenAiProvider({
    apiKey: API_KEY,
    baseUrl: llm.url,
    model: 'gpt-5-mini',
    timeoutMs: 5000,
    ...overrides,
  });
}

async function failure(promise: Promise<LlmResult>): Promise<LlmError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  expect((err as LlmError).message).not.toContain(API_KEY);
  return err as LlmError;
}

describe('openai provider against an OpenAI-compatible server', () => {
  it('returns the checked files, usage and the cost from the price table', async () => {
    const progress: number[] = [];
    const result = await provider().generate(req, { onProgress: (pct) => progress.push(pct) });

    expect(llm.calls).toBe(1);
    const sent = llm.requests[0]!;
    expect(sent.model).toBe('gpt-5-mini');
    expect(sent.messages?.map((m) => m.role)).toEqual(['system', 'user']);
    expect(sent.messages?.[1]?.content).toBe(req.description);
    expect(String(sent.messages?.[0]?.content)).toMatch(/React 19 with Vite/);
    expect(sent.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'generated_project', strict: true },
    });

    expect(result.provider).toBe('openai');
    expect(result.model).toBe('gpt-5-mini');
    expect(result.files.map((f) => f.path)).toEqual(['index.html', 'app.js', 'README.md']);
    expect(result.files[2]?.content).toContain(req.description);
    expect(result.entrypoint).toBe('index.html');
    expect(result.instructions).toBe('open index.html');
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    expect(result.usage.completion_tokens).toBeGreaterThan(0);
    const expected = (result.usage.prompt_tokens * 0.25 + result.usage.completion_tokens * 2) / 1e6;
    expect(result.cost_usd).toBeCloseTo(expected, 6);
    expect(result.cost_known).toBe(true);
    expect(progress.at(-1)).toBe(100);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('prices with the given table, and reports an unknown model as unpriced at 0', async () => {
    const priced = await provider({ prices: { 'gpt-5-mini': { input: 1_000_000, output: 0 } } }).generate(req);
    expect(priced.cost_usd).toBe(priced.usage.prompt_tokens);
    const unknown = await provider({ model: 'my-local-llama' }).generate(req);
    expect(unknown.model).toBe('my-local-llama');
    expect(unknown.cost_usd).toBe(0);
    expect(unknown.cost_known).toBe(false);
  });

  it('parses content that comes as <file> blocks instead of JSON', async () => {
    llm.setBehavior({
      kind: 'raw',
      content: 'Here:\n<file path="./src/App.jsx">\nexport default () => null;\n</file>',
    });
    const result = await provider().generate(req);
    expect(result.files).toEqual([{ path: 'src/App.jsx', content: 'export default () => null;\n' }]);
    expect(result.entrypoint).toBeNull();
  });

  it('succeeds after the SDK retries a 500', async () => {
    llm.enqueue({ kind: 'status', status: 500 });
    const result = await provider().generate(req);
    expect(llm.calls).toBe(2);
    expect(result.files.length).toBeGreaterThan(0);
  });

  it('waits as Retry-After says before retrying a 429', async () => {
    llm.enqueue({ kind: 'status', status: 429, retryAfter: 1 });
    const started = Date.now();
    await provider().generate(req);
    expect(llm.calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('does not sleep through a Retry-After longer than its budget: fails at once, retryable', async () => {
    llm.setBehavior({ kind: 'status', status: 429, retryAfter: 3600 });
    const started = Date.now();
    const err = await failure(provider({ timeoutMs: 3000 }).generate(req));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(llm.calls).toBe(1);
    expect(err).toMatchObject({ code: 'llm_error', retryable: true, retryAfterMs: 3_600_000 });
  });

  it('gives up as a retryable llm_error when every attempt answers 500', async () => {
    llm.setBehavior({ kind: 'status', status: 500 });
    const err = await failure(provider({ maxRetries: 1 }).generate(req));
    expect(llm.calls).toBe(2);
    expect(err).toMatchObject({ code: 'llm_error', retryable: true });
    expect(err.message).toMatch(/HTTP 500/);
  });

  it.each([400, 401, 403, 404])(
    'fails a %i at once as a non-retryable llm_error without the provider body',
    async (status) => {
      llm.setBehavior({
        kind: 'status',
        status,
        body: {
          error: {
            message: `Incorrect API key provided: ${API_KEY}`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        },
      });
      const err = await failure(provider().generate(req));
      expect(llm.calls).toBe(1);
      expect(err).toMatchObject({
        code: 'llm_error',
        retryable: false,
        message: `The model provider answered HTTP ${status} (invalid_api_key)`,
      });
    },
  );

  it('times out a model that never answers, without retrying past its budget', async () => {
    llm.setBehavior({ kind: 'hang' });
    const started = Date.now();
    const err = await failure(provider({ timeoutMs: 300 }).generate(req));
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(llm.calls).toBe(1);
  });

  it('stops when the caller aborts', async () => {
    llm.setBehavior({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(provider().generate(req, { signal: controller.signal }));
    expect(err).toMatchObject({ code: 'llm_error', retryable: true });
    expect(err.message).toMatch(/cancelled/);
  });

  it('reports an unreachable server as a retryable llm_error', async () => {
    const gone = await startFakeLlm();
    const url = gone.url;
    await gone.close();
    const err = await failure(provider({ baseUrl: url, maxRetries: 0 }).generate(req));
    expect(err).toMatchObject({ code: 'llm_error', retryable: true, message: 'Could not reach the model provider' });
  });

  it.each([
    ['prose', 'Sure! Here is your app, I hope you like it.', /none of the accepted forms/],
    ['an empty answer', '', /empty answer/],
    [
      'a ../ path',
      JSON.stringify({ files: [{ path: '../../etc/cron.d/evil', content: 'x' }] }),
      /"\.\.\/\.\.\/etc\/cron\.d\/evil"/,
    ],
  ])('fails %s as invalid_llm_output, not retryable', async (_label, content, message) => {
    llm.setBehavior({ kind: 'raw', content });
    const err = await failure(provider().generate(req));
    expect(err).toMatchObject({ code: 'invalid_llm_output', retryable: false });
    expect(err.message).toMatch(message);
    expect(llm.calls).toBe(1);
  });

  it('says so when the answer was cut off by the token limit', async () => {
    llm.setBehavior({ kind: 'raw', content: '{"files": [{"path": "a.js", "content": "con', finishReason: 'length' });
    const err = await failure(provider().generate(req));
    expect(err).toMatchObject({
      code: 'invalid_llm_output',
      message: expect.stringMatching(/ran out of output tokens/),
    });
  });

  it('fails a 200 that is not a chat completion as invalid_llm_output', async () => {
    llm.setBehavior({ kind: 'body', body: '{"choices": [' });
    expect(await failure(provider().generate(req))).toMatchObject({ code: 'invalid_llm_output' });
    llm.setBehavior({ kind: 'body', body: '<html>proxy error</html>', contentType: 'text/html' });
    expect(await failure(provider().generate(req))).toMatchObject({ code: 'invalid_llm_output' });
    llm.setBehavior({ kind: 'body', body: '{}' });
    expect(await failure(provider().generate(req))).toMatchObject({ code: 'invalid_llm_output' });
  });
});
