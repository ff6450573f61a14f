import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Every metric of the system, defined once. Labels are bounded by design: plans, models,
 * frameworks, route templates and status classes, never user ids or raw paths (the seed's
 * per-user gauge grew without bound).
 */
export interface Metrics {
  /**
   * Generations that ended, by final status (`completed`, `failed`), model, framework and job
   * `kind` (`generate`, `edit`: an edit's result is a generation too).
   */
  generationsTotal: Counter<'status' | 'model' | 'framework' | 'kind'>;
  /** Submit-to-finish time of generate and edit jobs that called the model, by job `kind`. */
  generationDuration: Histogram<'model' | 'framework' | 'kind'>;
  /** LLM spend by provider, model and job `kind` (`generate`, `edit`). */
  llmCostUsd: Counter<'provider' | 'model' | 'kind'>;
  /** Tokens by `kind`: `prompt` or `completion`. */
  llmTokens: Counter<'provider' | 'model' | 'kind'>;
  /** Generate and edit submits by cache `result` (`hit`, `miss`, `bypass`: force_regenerate) and `kind`. */
  cacheRequests: Counter<'result' | 'kind'>;
  /** Credits spent on generations that were not refunded, by plan. */
  creditsConsumed: Counter<'plan'>;
  /** Exports that ended, by final `status` (`completed`, `failed`, `cancelled`). */
  exportsTotal: Counter<'status'>;
  /** Webhook delivery attempts by `result`: `delivered`, `retry`, `failed`, `gone`, `refused`. */
  webhookDeliveries: Counter<'result'>;
  /** API request time by method, route template and status class (`2xx`…). */
  httpDuration: Histogram<'method' | 'route' | 'status_class'>;
}

/** Buckets for generation time: a cached answer (50 ms) up to a slow model (2 min). */
export const GENERATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120];

/** Buckets for HTTP time: sub-millisecond hits to multi-second long-polls. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Registers every metric on `registry` (call once per registry). */
export function createMetrics(registry: Registry): Metrics {
  const registers = [registry];
  return {
    generationsTotal: new Counter({
      name: 'vectort_generations_total',
      help: 'Generations that ended, by final status, model, framework and job kind (generate, edit)',
      labelNames: ['status', 'model', 'framework', 'kind'],
      registers,
    }),
    generationDuration: new Histogram({
      name: 'vectort_generation_duration_seconds',
      help: 'Time from submit to completion of generations that called the model, by job kind',
      labelNames: ['model', 'framework', 'kind'],
      buckets: GENERATION_BUCKETS,
      registers,
    }),
    llmCostUsd: new Counter({
      name: 'vectort_llm_cost_usd_total',
      help: 'LLM spend in US dollars, from the price table, by job kind (generate, edit)',
      labelNames: ['provider', 'model', 'kind'],
      registers,
    }),
    llmTokens: new Counter({
      name: 'vectort_llm_tokens_total',
      help: 'LLM tokens by kind (prompt, completion)',
      labelNames: ['provider', 'model', 'kind'],
      registers,
    }),
    cacheRequests: new Counter({
      name: 'vectort_cache_requests_total',
      help: 'Generate and edit submits by cache result (hit, miss, bypass) and job kind',
      labelNames: ['result', 'kind'],
      registers,
    }),
    creditsConsumed: new Counter({
      name: 'vectort_credits_consumed_total',
      help: 'Credits spent on generations (not refunded), by plan',
      labelNames: ['plan'],
      registers,
    }),
    exportsTotal: new Counter({
      name: 'vectort_exports_total',
      help: 'Exports that ended, by final status (completed, failed, cancelled)',
      labelNames: ['status'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'vectort_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result',
      labelNames: ['result'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'vectort_http_request_duration_seconds',
      help: 'API request duration by method, route template and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
  };
}
