/** The CLI's exit codes (API.md, "Machine-readable contract and clients"). */
export const EXIT = {
  ok: 0,
  /** The job failed (or the API answered an error no other code covers). */
  failed: 1,
  usage: 2,
  auth: 3,
  /** Rate limited (429) or out of credits (402). */
  limited: 4,
} as const;

/** An error the CLI reports as one line and an exit code; never a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** The contract's error body. */
export interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

function exitCodeFor(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 402 || status === 429) return EXIT.limited;
  if (status === 400 || status === 413 || status === 422) return EXIT.usage;
  return EXIT.failed;
}

/** Turns an API error response into a CliError carrying the contract's message. */
export function apiError(status: number, body: unknown, retryAfter?: string | null): CliError {
  const err = (body as ApiErrorBody | undefined)?.error;
  const fields = Array.isArray(err?.details)
    ? (err.details as { field?: string; message?: string }[]).map((d) => `${d.field}: ${d.message}`).join('; ')
    : '';
  let message = err?.message ?? `HTTP ${status}`;
  if (fields) message += ` (${fields})`;
  if (status === 429 && retryAfter) message += `; retry in ${retryAfter} s`;
  return new CliError(err?.code ? `${message} [${err.code}]` : message, exitCodeFor(status));
}
