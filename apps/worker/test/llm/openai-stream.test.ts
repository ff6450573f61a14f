import { startFakeLlm, type FakeLlm } from '../../../../test/support/fake-llm-server';
import { LlmError } from '../../src/llm/llm-errors';
import type { GenerationRequest, LlmResult } from '../../src/llm/llm-provider';
import { createOpenAiProvider, type OpenAiProviderOptions } from '../../src/llm/openai-provider';

const req: GenerationRequest = { description: 'A streamed recipe box', framework: 'react', type: 'web_app' };

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await llm.close();
});
beforeEach(() => llm.reset());

function provider(overrides: Partial<OpenAiProviderOptions> = {}) {
  const warnings: string[] = [];
  const p = createOpenAiProvider({
    apiKey: 'sk-test',
    baseUrl: llm.url,
    model: 'gpt-5-mini',
    timeoutMs: 5000,
    maxRetries: 0,
    logger: { warn: (message: string) => warnings.push(message) } as never,
    ...overrides,
  });
  return { p, warnings };
}

async function failure(promise: Promise<LlmResult>): Promise<LlmError> {
  const err = await promise.then(
    () => new Error('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

describe('streaming model calls', () => {
  it('streams with usage, reports file deltas as they arrive, and sends max_completion_tokens', async () => {
    llm.setBehavior({ kind: 'ok', chunkChars: 7, chunkDelayMs: 2 });
    const deltas: [string, string, boolean][] = [];
    const progress: number[] = [];
    const { p } = provider({ maxOutputTokens: 1234 });
    const result = await p.generate(req, {
      onFile: (path, text, done) => deltas.push([path, text, done]),
      onProgress: (pct) => progress.push(pct),
    });
    const sent = llm.requests[0]!;
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(sent.max_completion_tokens).toBe(1234);
    expect(sent.max_tokens).toBeUndefined();
    expect(result.usage.completion_tokens).toBeGreaterThan(0);
    for (const file of result.files) {
      const text = deltas
        .filter(([path]) => path === file.path)
        .map(([, t]) => t)
        .join('');
      expect(text).toBe(file.content);
      expect(deltas.filter(([path, , done]) => path === file.path && done)).toHaveLength(1);
    }
    // Progress grows with the text: many distinct steps between 5 and 90.
    expect(new Set(progress.filter((x) => x > 5 && x < 90).map(Math.floor)).size).toBeGreaterThan(5);
  });

  it('falls back to max_tokens for a server that rejects max_completion_tokens, and remembers it', async () => {
    llm.setMode({ rejectMaxCompletionTokens: true });
    const { p, warnings } = provider({ maxOutputTokens: 16000 });
    const result = await p.generate(req);
    expect(result.files.length).toBeGreaterThan(0);
    expect(llm.requests.map((r) => [r.max_completion_tokens, r.max_tokens])).toEqual([
      [16000, undefined],
      [undefined, 16000],
    ]);
    await p.generate(req);
    expect(llm.requests[2]!.max_tokens).toBe(16000);
    expect(llm.requests[2]!.max_completion_tokens).toBeUndefined();
    expect(warnings).toEqual(['llm_max_tokens_fallback']);
  });

  it('calls without streaming a server that refuses stream: true, and accepts one that ignores it', async () => {
    llm.setMode({ streaming: 'reject' });
    const { p, warnings } = provider();
    const deltas: string[] = [];
    const result = await p.generate(req, { onFile: (_path, text) => deltas.push(text) });
    expect(result.files.length).toBe(3);
    expect(llm.requests.map((r) => r.stream ?? false)).toEqual([true, false]);
    expect(deltas.join('')).toBe(result.files.map((f) => f.content).join(''));
    expect(warnings).toEqual(['llm_stream_unsupported']);

    llm.reset();
    llm.setMode({ streaming: 'ignore' });
    const other = provider();
    const plain = await other.p.generate(req);
    expect(plain.files.length).toBe(3);
    expect(plain.usage.prompt_tokens).toBeGreaterThan(0);
    expect(other.warnings).toEqual(['llm_stream_ignored']);
  });

  it('fails a stream that breaks off as a retryable llm_error, and a malformed chunk as invalid_llm_output', async () => {
    llm.setBehavior({ kind: 'stream-break', afterChunks: 2, chunkChars: 20 });
    const broken = await failure(provider().p.generate(req));
    expect(broken).toMatchObject({ code: 'llm_error', retryable: true });

    llm.setBehavior({ kind: 'stream-malformed', afterChunks: 2, chunkChars: 20 });
    expect(await failure(provider().p.generate(req))).toMatchObject({ code: 'invalid_llm_output', retryable: false });
  });

  it('fails an answer that never closes its JSON as invalid_llm_output, and a stream that stalls as timeout', async () => {
    llm.setBehavior({ kind: 'raw', content: '{"files": [{"path": "a.js", "content": "console.log(1)' });
    expect(await failure(provider().p.generate(req))).toMatchObject({ code: 'invalid_llm_output' });

    llm.setBehavior({ kind: 'ok', chunkChars: 10, chunkDelayMs: 400 });
    const t0 = Date.now();
    expect(await failure(provider({ timeoutMs: 800 }).p.generate(req))).toMatchObject({ code: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('aborts the request when the caller signal aborts mid-stream (the server sees it)', async () => {
    llm.setBehavior({ kind: 'ok', chunkChars: 10, chunkDelayMs: 200 });
    const ctl = new AbortController();
    const call = provider().p.generate(req, { signal: ctl.signal, onFile: () => ctl.abort() });
    expect(await failure(call)).toMatchObject({ code: 'llm_error' });
    for (let i = 0; i < 40 && llm.aborted === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(llm.aborted).toBe(1);
  });
});
