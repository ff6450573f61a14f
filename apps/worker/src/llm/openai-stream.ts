import { APIError, type OpenAI } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { LlmError } from './llm-errors';

/** A chat completion's answer, read from a stream or from one JSON body. */
export interface ModelAnswer {
  content: string | null;
  refusal: string | null;
  finishReason: string | undefined;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  model: string | undefined;
}

/** What a server turned out not to support, learnt from its answers and kept for later calls. */
export interface ServerQuirks {
  /** It answered 400 to `stream: true`: call it without streaming. */
  noStreaming: boolean;
  /** It answered 400 to `max_completion_tokens`: send `max_tokens` instead. */
  noMaxCompletionTokens: boolean;
}

export interface AnswerCallbacks {
  /** Each piece of the message content, as it arrives. */
  onText(text: string): void;
  /** Told once per quirk learnt, for a log line. */
  onQuirk(quirk: keyof ServerQuirks): void;
}

/**
 * Calls the model, streaming (`stream: true`, usage included) unless the server refused it, with
 * the output-token cap under the name the server accepts. A 400 that names the refused parameter
 * is answered by one call without it; everything else is the SDK's (retries, `Retry-After`).
 */
export async function callForAnswer(
  client: OpenAI,
  base: Omit<ChatCompletionCreateParamsNonStreaming, 'max_tokens' | 'max_completion_tokens'>,
  maxOutputTokens: number,
  quirks: ServerQuirks,
  signal: AbortSignal,
  callbacks: AnswerCallbacks,
): Promise<ModelAnswer> {
  for (let tries = 0; ; tries++) {
    const cap = quirks.noMaxCompletionTokens
      ? { max_tokens: maxOutputTokens }
      : { max_completion_tokens: maxOutputTokens };
    try {
      if (quirks.noStreaming) return await plainAnswer(client, { ...base, ...cap }, signal, callbacks);
      return await streamedAnswer(client, { ...base, ...cap }, signal, callbacks);
    } catch (err) {
      const refused = tries < 2 ? refusedParameter(err) : null;
      if (refused === 'max_completion_tokens' && !quirks.noMaxCompletionTokens) {
        quirks.noMaxCompletionTokens = true;
        callbacks.onQuirk('noMaxCompletionTokens');
      } else if (refused === 'stream' && !quirks.noStreaming) {
        quirks.noStreaming = true;
        callbacks.onQuirk('noStreaming');
      } else throw err;
    }
  }
}

/** `max_completion_tokens` or `stream` when a 400 says that parameter is not supported. */
function refusedParameter(err: unknown): 'max_completion_tokens' | 'stream' | null {
  if (!(err instanceof APIError) || err.status !== 400) return null;
  const text = `${err.param ?? ''} ${err.code ?? ''} ${err.message}`.toLowerCase();
  if (text.includes('max_completion_tokens')) return 'max_completion_tokens';
  if (/\bstream(ing|_options)?\b/.test(text)) return 'stream';
  return null;
}

async function plainAnswer(
  client: OpenAI,
  params: ChatCompletionCreateParamsNonStreaming,
  signal: AbortSignal,
  callbacks: AnswerCallbacks,
): Promise<ModelAnswer> {
  const completion = await client.chat.completions.create(params, { signal });
  // A server that answers 200 with something other than JSON gets its text passed through.
  if (typeof completion !== 'object' || completion === null) {
    throw new LlmError(
      'invalid_llm_output',
      'The model server answered with something other than a chat completion',
      false,
    );
  }
  const choice = completion.choices?.[0];
  const content = typeof choice?.message?.content === 'string' ? choice.message.content : null;
  if (content) callbacks.onText(content);
  return {
    content,
    refusal: choice?.message?.refusal ?? null,
    finishReason: choice?.finish_reason,
    usage: completion.usage ?? null,
    model: completion.model,
  };
}

async function streamedAnswer(
  client: OpenAI,
  params: ChatCompletionCreateParamsNonStreaming,
  signal: AbortSignal,
  callbacks: AnswerCallbacks,
): Promise<ModelAnswer> {
  const stream = await client.chat.completions.create(
    { ...params, stream: true, stream_options: { include_usage: true } },
    { signal },
  );
  const parts: string[] = [];
  const answer: ModelAnswer = { content: null, refusal: null, finishReason: undefined, usage: null, model: undefined };
  let refusal = '';
  try {
    for await (const chunk of stream) {
      if (typeof chunk !== 'object' || chunk === null) throw new SyntaxError('a stream chunk is not an object');
      if (typeof chunk.model === 'string' && chunk.model !== '') answer.model = chunk.model;
      if (chunk.usage) answer.usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const text = choice.delta?.content;
      if (typeof text === 'string' && text !== '') {
        parts.push(text);
        callbacks.onText(text);
      }
      if (typeof choice.delta?.refusal === 'string') refusal += choice.delta.refusal;
      if (choice.finish_reason) answer.finishReason = choice.finish_reason;
    }
  } catch (err) {
    if (signal.aborted || err instanceof APIError || isSyntaxError(err)) throw err;
    throw new LlmError('llm_error', "The model's answer broke off before it finished", true, { cause: err });
  }
  // A stream that ends without saying why it stopped was cut off (a proxy, a crashed server).
  if (answer.finishReason === undefined) {
    throw new LlmError('llm_error', "The model's answer broke off before it finished", true);
  }
  answer.content = parts.length > 0 ? parts.join('') : null;
  answer.refusal = refusal === '' ? null : refusal;
  return answer;
}

function isSyntaxError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'SyntaxError';
}

/**
 * Some OpenAI-compatible servers ignore `stream: true` and answer one JSON chat completion.
 * This `fetch` wrapper turns such an answer into the one-chunk event stream it stands for, so the
 * SDK's stream reader gets the same content (`onPlain` is told, for a log line). Any other
 * non-stream 200 becomes an event the SDK cannot parse: malformed, as it would be unstreamed.
 */
export function fetchAcceptingPlainAnswers(baseFetch: typeof fetch, onPlain: () => void): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    const asked = typeof init?.body === 'string' && init.body.includes('"stream":true');
    const type = response.headers.get('content-type') ?? '';
    if (!asked || !response.ok || type.includes('text/event-stream')) return response;
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // handled below
    }
    const completion = (typeof body === 'object' && body !== null ? body : {}) as {
      id?: string;
      model?: string;
      usage?: unknown;
      choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
    };
    const headers = new Headers(response.headers);
    headers.set('content-type', 'text/event-stream');
    headers.delete('content-length');
    if (!Array.isArray(completion.choices)) {
      // Passed on as one event the SDK cannot parse: it fails as malformed, as a plain call would.
      return new Response('data: (not a chat completion)\n\n', { status: 200, headers });
    }
    onPlain();
    const choice = completion.choices[0];
    const chunk = {
      id: completion.id ?? 'plain',
      object: 'chat.completion.chunk',
      model: completion.model,
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content: choice?.message?.content ?? null, refusal: choice?.message?.refusal },
          finish_reason: choice?.finish_reason ?? 'stop',
        },
      ],
      usage: completion.usage ?? null,
    };
    return new Response(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`, { status: 200, headers });
  };
}
