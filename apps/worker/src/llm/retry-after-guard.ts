/**
 * The openai SDK (v6, client.js `retryRequest`) sleeps for whatever `retry-after-ms` or
 * `Retry-After` says before retrying, with no upper bound and a sleep that no signal can cut
 * short. A provider answering `Retry-After: 3600` would hold a worker slot for an hour. This
 * wraps `fetch` so that such answers carry `x-should-retry: false`, a header the SDK obeys
 * (client.js `shouldRetry`): it then throws the 429/5xx at once and the job is retried later.
 */
export function fetchWithRetryAfterLimit(maxWaitMs: number, baseFetch: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    const waitMs = retryAfterMs(response.headers);
    if (response.ok || waitMs === null || waitMs <= maxWaitMs) return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The wait a response asks for, in ms, read the way the SDK reads it; null when it asks for none. */
export function retryAfterMs(headers: Headers): number | null {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(ms)) return ms;
  const raw = headers.get('retry-after');
  if (raw === null) return null;
  const seconds = Number.parseFloat(raw);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : date - Date.now();
}
