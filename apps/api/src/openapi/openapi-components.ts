import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/** Security scheme names, as operations' `security` entries refer to them. */
export const BEARER = [{ bearerAuth: [] }];
export const METRICS_TOKEN = [{ metricsToken: [] }];
export const ADMIN_BASIC = [{ adminBasic: [] }];

/** Registers the security schemes and the header components every operation may refer to. */
export function registerCommonComponents(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `token` from register or login, as `Authorization: Bearer <token>`.',
  });
  registry.registerComponent('securitySchemes', 'metricsToken', {
    type: 'http',
    scheme: 'bearer',
    description: '`METRICS_TOKEN`, needed only when the server sets it.',
  });
  registry.registerComponent('securitySchemes', 'adminBasic', {
    type: 'http',
    scheme: 'basic',
    description: '`ADMIN_USER` / `ADMIN_PASSWORD`; the board is not mounted when they are unset.',
  });
}

export const errorBody = z
  .object({
    error: z.object({
      code: z.enum([
        'validation_error',
        'unauthorized',
        'insufficient_credits',
        'forbidden',
        'not_found',
        'conflict',
        'payload_too_large',
        'idempotency_key_reused',
        'rate_limited',
        'internal',
        'unavailable',
      ]),
      message: z.string(),
      details: z.unknown().optional(),
    }),
    request_id: z.string(),
  })
  .meta({ id: 'Error', description: "The contract's error body (API.md, Errors)." });

/** A path id: opaque to clients; one that cannot exist is answered 404, like an unknown one. */
export const idParam = z.object({
  id: z.string().meta({ description: 'An opaque id (24 hex digits today).', example: '6650f0c2a1b2c3d4e5f60718' }),
});

const header = (description: string, schema: z.ZodType = z.string()) => schema.meta({ description });

/** Response headers of the contract; optional ones are sent only in some cases. */
export const headers = {
  requestId: header("The request id: the caller's sane `X-Request-Id`, or a generated one."),
  retryAfter: header('Seconds to wait before trying again.', z.string().regex(/^\d+$/)),
  rateLimit: header('IETF draft-8 `RateLimit`, e.g. `"generate"; r=0; t=60`.').optional(),
  rateLimitPolicy: header('IETF draft-8 `RateLimit-Policy`, e.g. `"generate"; q=10; w=60`.').optional(),
  xCache: header('`HIT` when served from the shared cache, `MISS` when a job was queued.', z.enum(['HIT', 'MISS'])),
  location: header('Where to poll the job (or find the new object).'),
} as const;

type Headers = Record<string, z.ZodType>;

const ERROR_TEXT: Record<number, string> = {
  400: '`validation_error`: body, query, path or header failed validation, or malformed JSON',
  401: '`unauthorized`: missing, malformed, expired or tampered token; wrong password',
  402: '`insufficient_credits`: not enough credits for an LLM generation',
  403: '`forbidden`: authenticated but not allowed',
  404: '`not_found`: unknown route or object, or one that belongs to another user',
  409: '`conflict`',
  413: '`payload_too_large`: body over 1 MiB',
  422: '`idempotency_key_reused`: same `Idempotency-Key`, different body',
  429: '`rate_limited`: over the limit; see `Retry-After` and `RateLimit`',
  500: '`internal`: a bug (never a stack trace)',
  503: '`unavailable`: Redis, MongoDB or S3 unreachable; see `Retry-After`',
};

/** Error responses with the contract's body; 429 and 503 carry their headers. */
export function errorResponses(...statuses: number[]): Record<number, ResponseConfig> {
  const out: Record<number, ResponseConfig> = {};
  for (const status of [...statuses, 500, 503]) {
    const extra: Headers =
      status === 429
        ? {
            'Retry-After': headers.retryAfter,
            RateLimit: headers.rateLimit,
            'RateLimit-Policy': headers.rateLimitPolicy,
          }
        : status === 503
          ? { 'Retry-After': headers.retryAfter }
          : {};
    out[status] = {
      description: ERROR_TEXT[status] ?? 'error',
      headers: z.object({ 'X-Request-Id': headers.requestId, ...extra }),
      content: { 'application/json': { schema: errorBody } },
    };
  }
  return out;
}

/** A JSON success response. */
export function json(description: string, schema: z.ZodType, extraHeaders: Headers = {}): ResponseConfig {
  return {
    description,
    headers: z.object({ 'X-Request-Id': headers.requestId, ...extraHeaders }),
    content: { 'application/json': { schema } },
  };
}

/** A response without a body (204). */
export function empty(description: string): ResponseConfig {
  return { description, headers: z.object({ 'X-Request-Id': headers.requestId }) };
}

/** The headers of a response from a rate-limited route (on success too). */
export const rateLimitHeaders = { RateLimit: headers.rateLimit, 'RateLimit-Policy': headers.rateLimitPolicy };
