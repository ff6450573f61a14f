/** Error codes of API.md's error table. */
export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'insufficient_credits'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * The one application error. It carries the contract's code and HTTP status; the API's error
 * middleware turns it into the JSON error body, and domain code never needs express for that.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly httpStatus: number,
    message: string,
    readonly details?: unknown,
    /** Seconds, sent as `Retry-After` (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: FieldIssue[]) {
    super('validation_error', 400, message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required') {
    super('unauthorized', 401, message);
  }
}

export class InsufficientCreditsError extends AppError {
  constructor(message = 'Not enough credits') {
    super('insufficient_credits', 402, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super('forbidden', 403, message);
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super('not_found', 404, `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

export class UnavailableError extends AppError {
  constructor(message = 'A backing service is unavailable', retryAfterSeconds = 5, details?: unknown) {
    super('unavailable', 503, message, details, retryAfterSeconds);
  }
}
