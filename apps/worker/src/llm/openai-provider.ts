import OpenAI from 'openai';
import type { Logger } from '@vectort/shared';
import { EDIT_JSON_SCHEMA, editSystemPrompt, editUserMessage } from './edit-prompt';
import { parseEditOutput } from './edit-output-parser';
import { PROJECT_JSON_SCHEMA, systemPrompt } from './generation-prompt';
import { invalidOutput, LlmError } from './llm-errors';
import type {
  EditAnswer,
  EditRequest,
  GenerateOptions,
  GenerationRequest,
  LlmProvider,
  LlmResult,
} from './llm-provider';
import { toLlmError } from './openai-errors';
import { parseLlmOutput } from './output-parser';
import { checkGeneratedProject } from './path-safety';
import { costOf, DEFAULT_PRICES, findPrice, type PriceTable } from './pricing';
import { callForAnswer, fetchAcceptingPlainAnswers, type ModelAnswer, type ServerQuirks } from './openai-stream';
import { fetchWithRetryAfterLimit } from './retry-after-guard';
import { createStreamFileExtractor } from './stream-files';

/** Progress while the model writes: 5 → 90, quick at first, never reaching 90 before the end. */
const PROGRESS_TOKENS = 1500;

export interface OpenAiProviderOptions {
  /** Sent as the bearer token; never appears in errors. */
  apiKey: string;
  /**
   * Any OpenAI-compatible server (Ollama, vLLM, LM Studio, OpenRouter) works here.
   * @defaultValue "https://api.openai.com/v1"
   */
  baseUrl?: string;
  model: string;
  /**
   * Budget for one `generate` call, in ms, retries and their waits included. It is also the
   * SDK's per-attempt timeout, so a single slow attempt may use all of it.
   */
  timeoutMs: number;
  /**
   * Retries the SDK itself makes on connection errors, timeouts, 408, 409, 429 and 5xx, waiting
   * as `Retry-After` says (or 0.5 s, 1 s, ... with jitter), within `timeoutMs`.
   * @defaultValue 2
   */
  maxRetries?: number;
  /**
   * USD per 1M tokens by model, merged over {@link DEFAULT_PRICES}.
   * @defaultValue {}
   */
  prices?: PriceTable;
  /**
   * Output-token cap of every call, sent as `max_completion_tokens` (or `max_tokens` to a server
   * that refuses the new name). @defaultValue 16000
   */
  maxOutputTokens?: number;
  /** Where the provider says what it learnt of the server (no streaming, no `max_completion_tokens`). */
  logger?: Pick<Logger, 'warn'>;
}

/** Talks to an OpenAI-compatible chat completions endpoint through the `openai` SDK. */
export function createOpenAiProvider(options: OpenAiProviderOptions): LlmProvider {
  const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs));
  const prices: PriceTable = { ...DEFAULT_PRICES, ...options.prices };
  const client = new OpenAI({
    apiKey: options.apiKey,
    // Explicit values everywhere, so the SDK never falls back to OPENAI_* environment variables.
    baseURL: options.baseUrl ?? 'https://api.openai.com/v1',
    organization: null,
    project: null,
    timeout: timeoutMs,
    maxRetries: options.maxRetries ?? 2,
    // Its console lines (a malformed chunk) would bypass our JSON logs; the error reaches us anyway.
    logLevel: 'off',
    fetch: fetchAcceptingPlainAnswers(fetchWithRetryAfterLimit(timeoutMs), () => {
      if (plainAnswersSeen++ === 0)
        options.logger?.warn('llm_stream_ignored', { detail: 'the model server answers without streaming' });
    }),
  });
  let plainAnswersSeen = 0;
  // Learnt from the server's answers and kept: a server that refused a parameter once gets calls without it.
  const quirks: ServerQuirks = { noStreaming: false, noMaxCompletionTokens: false };
  const maxOutputTokens = options.maxOutputTokens ?? 16000;

  async function generate(req: GenerationRequest, opts: GenerateOptions = {}): Promise<LlmResult> {
    const answer = await streamAnswer(
      {
        system: systemPrompt(req),
        user: req.description,
        schemaName: 'generated_project',
        schema: PROJECT_JSON_SCHEMA,
      },
      opts,
    );
    const project = readAnswer(() => checkGeneratedProject(parseLlmOutput(contentOf(answer))), answer);
    opts.onProgress?.(100);
    return { ...project, ...billingOf(answer) };
  }

  async function edit(req: EditRequest, opts: GenerateOptions = {}): Promise<EditAnswer> {
    const answer = await streamAnswer(
      {
        system: editSystemPrompt(req),
        user: editUserMessage(req),
        schemaName: 'project_edit',
        schema: EDIT_JSON_SCHEMA,
      },
      opts,
    );
    const changes = readAnswer(() => parseEditOutput(contentOf(answer)), answer);
    opts.onProgress?.(100);
    return { ...changes, ...billingOf(answer) };
  }

  /** One streamed call: live file deltas to `opts.onFile` and progress (5 → 90) as text arrives. */
  async function streamAnswer(chat: ChatRequest, opts: GenerateOptions): Promise<ModelAnswer> {
    opts.onProgress?.(5);
    let files = opts.onFile ? createStreamFileExtractor(opts.onFile) : null;
    let chars = 0;
    const answer = await callModel(chat, opts.signal, (text) => {
      try {
        files?.push(text);
      } catch {
        // Live output is best effort: a fault there must not fail the call.
        files = null;
      }
      // About four characters a token, as OpenAI's tokenizers give for code and English.
      chars += text.length;
      opts.onProgress?.(5 + 85 * (1 - Math.exp(-chars / 4 / PROGRESS_TOKENS)));
    });
    await files?.end();
    opts.onProgress?.(90);
    return answer;
  }

  /** Model, provider, usage and cost of an answer, from the price table. */
  function billingOf(answer: ModelAnswer) {
    const usage = {
      prompt_tokens: answer.usage?.prompt_tokens ?? 0,
      completion_tokens: answer.usage?.completion_tokens ?? 0,
    };
    const model = typeof answer.model === 'string' && answer.model !== '' ? answer.model : options.model;
    const price = findPrice(prices, model, options.model);
    return {
      model,
      provider: 'openai' as const,
      usage,
      cost_usd: price ? costOf(usage, price) : 0,
      cost_known: price !== null,
    };
  }

  async function callModel(
    chat: ChatRequest,
    callerSignal: AbortSignal | undefined,
    onText: (text: string) => void,
  ): Promise<ModelAnswer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
    try {
      const request = callForAnswer(
        client,
        {
          model: options.model,
          messages: [
            { role: 'system', content: chat.system },
            { role: 'user', content: chat.user },
          ],
          response_format: {
            type: 'json_schema',
            json_schema: { name: chat.schemaName, strict: true, schema: chat.schema },
          },
        },
        maxOutputTokens,
        quirks,
        signal,
        {
          onText,
          onQuirk: (quirk) =>
            options.logger?.warn(quirk === 'noStreaming' ? 'llm_stream_unsupported' : 'llm_max_tokens_fallback', {
              detail:
                quirk === 'noStreaming'
                  ? 'the model server refused stream: true; calling it without streaming'
                  : 'the model server refused max_completion_tokens; sending max_tokens',
            }),
        },
      );
      return await untilAborted(request, signal);
    } catch (err) {
      throw toLlmError(err, {
        timedOut: deadline.signal.aborted,
        cancelled: callerSignal?.aborted === true,
        apiKey: options.apiKey,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  return { name: 'openai', generate, edit };
}

/** One chat completion call: generate and edit differ only in these. */
interface ChatRequest {
  system: string;
  user: string;
  schemaName: string;
  schema: Record<string, unknown>;
}

function contentOf(answer: ModelAnswer): string {
  if (typeof answer.content !== 'string' || answer.content.trim() === '') {
    throw invalidOutput(
      answer.refusal ? 'The model declined to write this project' : 'The model returned an empty answer',
    );
  }
  return answer.content;
}

/** Runs `read` on the answer; a refused answer cut off at the token limit says so. */
function readAnswer<T>(read: () => T, answer: ModelAnswer): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof LlmError && answer.finishReason === 'length') {
      throw invalidOutput('The model ran out of output tokens before finishing the project');
    }
    throw err;
  }
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts: the SDK notices an abort only
 * between attempts and during a request, not while it sleeps before a retry.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
