import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, NotFoundError, UnavailableError, ValidationError, type ErrorReporter } from '@vectort/shared';

/** Unknown routes: the contract's 404 body. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFoundError('Route'));

interface BodyParserError {
  type?: string;
  status?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as BodyParserError).type === 'string' &&
    typeof (err as BodyParserError).status === 'number'
  );
}

/** Errors from the drivers when MongoDB, Redis or S3 cannot be reached. */
function isBackendUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  return (
    name === 'MongoServerSelectionError' ||
    name === 'MongoNetworkError' ||
    name === 'MongoNetworkTimeoutError' ||
    name === 'MaxRetriesPerRequestError' ||
    name === 'MutexTimeoutError' ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ECONNRESET|Command timed out/.test(
      err.message,
    )
  );
}

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (isBodyParserError(err)) {
    if (err.type === 'entity.too.large') return new AppError('payload_too_large', 413, 'Request body is too large');
    if (err.type === 'entity.parse.failed') return new ValidationError('Malformed JSON body');
    if (err.status && err.status < 500) return new ValidationError('Unreadable request body');
  }
  if (isBackendUnavailable(err)) return new UnavailableError();
  return undefined;
}

/**
 * The one error middleware: every error becomes the contract's JSON body; 500s never leak
 * details. Server-side failures (5xx) go to the error reporter with the user; 4xx do not.
 */
export function errorHandler(reporter?: ErrorReporter): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const appError = toAppError(err) ?? new AppError('internal', 500, 'Internal server error');
    if (appError.httpStatus >= 500) {
      req.log?.error('request_failed', { error: err, code: appError.code });
      const userId = (req.userId ?? req.user?._id)?.toHexString();
      reporter?.capture(err, {
        user: userId ? { id: userId, email: req.user?.email } : undefined,
        tags: { request_id: req.id, route: req.routeTemplate ?? 'unmatched', error_code: appError.code },
      });
    }
    if (appError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    res.status(appError.httpStatus).json({
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details === undefined ? {} : { details: appError.details }),
      },
      request_id: req.id,
    });
  };
}
