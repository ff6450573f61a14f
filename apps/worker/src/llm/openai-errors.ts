import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmError } from './llm-errors';
import { retryAfterMs } from './retry-after-guard';

/** What the caller knew when the call failed. */
export interface CallContext {
  /** The provider's own time budget ran out. */
  timedOut: boolean;
  /** The caller's signal aborted (shutdown, job cancelled). */
  cancelled: boolean;
  apiKey: string;
}

/**
 * Maps whatever the SDK threw to an `LlmError` whose message can be shown to the user: the
 * status and the provider's short error code, never its body (some servers echo the key back).
 * The SDK has already retried what it retries, so `retryable` tells whether a later job attempt
 * can help: yes for timeouts, connection errors, 408/409/429 and 5xx; no for other 4xx.
 */
export function toLlmError(err: unknown, ctx: CallContext): LlmError {
  if (err instanceof LlmError) return err;
  if (ctx.cancelled)
    return new LlmError('llm_error', 'The generation was cancelled before the model answered', true, { cause: err });
  if (ctx.timedOut || err instanceof APIConnectionTimeoutError) {
    return new LlmError('timeout', 'The model did not answer in time', true, { cause: err });
  }
  if (err instanceof APIUserAbortError)
    return new LlmError('llm_error', 'The model call was aborted', true, { cause: err });
  if (err instanceof APIConnectionError) {
    return new LlmError('llm_error', 'Could not reach the model provider', true, { cause: err });
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const waitMs = err.headers ? retryAfterMs(err.headers) : null;
    return new LlmError(
      'llm_error',
      `The model provider answered HTTP ${status}${errorCodeOf(err, ctx.apiKey)}`,
      retryable,
      {
        cause: err,
        retryAfterMs: waitMs !== null && waitMs > 0 ? waitMs : undefined,
      },
    );
  }
  // The SDK reads a 200 body as JSON without catching: a server that sends broken JSON lands
  // here. By name, since undici's SyntaxError may come from another realm (as under jest).
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'SyntaxError') {
    return new LlmError('invalid_llm_output', 'The model server answered with malformed JSON', false, { cause: err });
  }
  return new LlmError('llm_error', 'The model call failed unexpectedly', false, { cause: err });
}

/** ` (invalid_api_key)`: the provider's machine-readable code, when it is a plain identifier. */
function errorCodeOf(err: APIError, apiKey: string): string {
  const code = err.code ?? err.type;
  if (typeof code !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(code) || (apiKey !== '' && code.includes(apiKey)))
    return '';
  return ` (${code})`;
}
