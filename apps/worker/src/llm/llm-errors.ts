/** Job error codes a failed LLM call maps to (API.md, `error.code` of a failed job). */
export type LlmErrorCode = 'llm_error' | 'invalid_llm_output' | 'timeout';

/**
 * A failed generation. The message is shown to the user as the job's `error.message`, so it
 * never holds an API key or a provider's raw answer; the underlying error, for logs only, is
 * the `cause`.
 */
export class LlmError extends Error {
  /** How long the provider asked us to wait before trying again, when it said so. */
  readonly retryAfterMs?: number;

  constructor(
    readonly code: LlmErrorCode,
    message: string,
    /** Whether trying the same request again later can succeed (the processor stops retrying when false). */
    readonly retryable: boolean,
    options?: {
      cause?: unknown;
      retryAfterMs?: number;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Rejects LLM output. Not retryable: another try is another paid call, and a model that broke the format once usually breaks it again. */
export function invalidOutput(message: string): LlmError {
  return new LlmError('invalid_llm_output', message, false);
}

/** Quotes a model-supplied string for an error message: escaped and cut short. */
export function quoteForMessage(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}
