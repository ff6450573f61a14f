import createClient from 'openapi-fetch';
import { CliError, EXIT, apiError } from './cli-errors';
import type { paths } from './generated/api-types';

export type ApiClient = ReturnType<typeof createClient<paths>>;

/** A typed client of the API (types generated from its OpenAPI document). */
export function createApiClient(baseUrl: string, token?: string): ApiClient {
  return createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    fetch: (req) =>
      fetch(req).catch((err: Error) => {
        throw new CliError(`cannot reach the API at ${baseUrl}: ${err.cause ?? err.message}`, EXIT.failed);
      }),
  });
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful call, or a CliError with the contract's message. */
export async function ok<T>(call: Promise<FetchResult<T>>): Promise<{ data: T; response: Response }> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw apiError(response.status, error, response.headers.get('retry-after'));
  return { data: data as T, response };
}
