import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
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
import { fetchWithRetryAfterLimit } from './retry-after-guard';

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
    fetch: fetchWithRetryAfterLimit(timeoutMs),
  });

  async function generate(req: GenerationRequest, opts: GenerateOptions = {}): Promise<LlmResult> {
    opts.onProgress?.(5);
    const completion = await callModel(
      {
        system: systemPrompt(req),
        user: req.description,
        schemaName: 'generated_project',
        schema: PROJECT_JSON_SCHEMA,
      },
      opts.signal,
    );
    opts.onProgress?.(90);
    const project = readAnswer(() => checkGeneratedProject(parseLlmOutput(contentOf(completion))), completion);
    opts.onProgress?.(100);
    return { ...project, ...billingOf(completion) };
  }

  async function edit(req: EditRequest, opts: GenerateOptions = {}): Promise<EditAnswer> {
    opts.onProgress?.(5);
    const completion = await callModel(
      {
        system: editSystemPrompt(req),
        user: editUserMessage(req),
        schemaName: 'project_edit',
        schema: EDIT_JSON_SCHEMA,
      },
      opts.signal,
    );
    opts.onProgress?.(90);
    const answer = readAnswer(() => parseEditOutput(contentOf(completion)), completion);
    opts.onProgress?.(100);
    return { ...answer, ...billingOf(completion) };
  }

  /** Model, provider, usage and cost of a completion, from the price table. */
  function billingOf(completion: ChatCompletion) {
    const usage = {
      prompt_tokens: completion.usage?.prompt_tokens ?? 0,
      completion_tokens: completion.usage?.completion_tokens ?? 0,
    };
    const model = typeof completion.model === 'string' && completion.model !== '' ? completion.model : options.model;
    const price = findPrice(prices, model, options.model);
    return {
      model,
      provider: 'openai' as const,
      usage,
      cost_usd: price ? costOf(usage, price) : 0,
      cost_known: price !== null,
    };
  }

  async function callModel(chat: ChatRequest, callerSignal: AbortSignal | undefined): Promise<ChatCompletion> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
    try {
      const request = client.chat.completions.create(
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
        { signal },
      );
      const completion = await untilAborted(request, signal);
      // A server that answers 200 with something other than JSON gets its text passed through.
      if (typeof completion !== 'object' || completion === null) {
        throw invalidOutput('The model server answered with something other than a chat completion');
      }
      return completion;
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

function contentOf(completion: ChatCompletion): string {
  const message = completion.choices?.[0]?.message;
  if (typeof message?.content !== 'string' || message.content.trim() === '') {
    throw invalidOutput(
      message?.refusal ? 'The model declined to write this project' : 'The model returned an empty answer',
    );
  }
  return message.content;
}

/** Runs `read` on the answer; a refused answer cut off at the token limit says so. */
function readAnswer<T>(read: () => T, completion: ChatCompletion): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof LlmError && completion.choices?.[0]?.finish_reason === 'length') {
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
