import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Sentry from '@sentry/node';
import type { Config } from '../config/config';
import { scrubBreadcrumb, scrubEvent } from './scrub-event';

export interface ErrorContext {
  user?: { id: string; email?: string };
  /** Bounded values only (ids, codes): they become Sentry tags. */
  tags?: Record<string, string>;
  extra?: Record<string, unknown>;
}

/** Where errors worth a human's attention go. A no-op without `SENTRY_DSN`. */
export interface ErrorReporter {
  readonly enabled: boolean;
  capture(error: unknown, context?: ErrorContext): void;
  /** Sends what is queued; call before exiting. */
  flush(timeoutMs?: number): Promise<void>;
}

// dist/observability and src/observability both sit two levels below the package.json.
const RELEASE = `vectort@${(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version}`;

/**
 * Starts Sentry for `service` when a DSN is configured. Call it first thing in `main.ts`,
 * before express and the drivers load, so their instrumentation applies.
 */
export function initErrorReporter(config: Pick<Config, 'sentry'>, service: 'api' | 'worker'): ErrorReporter {
  if (!config.sentry.dsn) {
    return { enabled: false, capture: () => undefined, flush: async () => undefined };
  }
  Sentry.init({
    dsn: config.sentry.dsn,
    environment: config.sentry.environment,
    release: RELEASE,
    tracesSampleRate: config.sentry.tracesSampleRate,
    initialScope: { tags: { service } },
    // Never request bodies, cookies, headers or IPs (API.md; issue 11): collect none of them,
    // and scrub whatever an integration adds anyway before anything is sent.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: false, variables: false },
      genAI: { inputs: false, outputs: false },
    },
    beforeSend: scrubEvent,
    beforeSendTransaction: scrubEvent,
    beforeBreadcrumb: scrubBreadcrumb,
    // The API's error middleware reports 5xx itself, with the user; express's automatic capture
    // would also report every 4xx AppError (it sees no `status` on them).
    integrations: [Sentry.expressIntegration({ shouldHandleError: false })],
  });
  return {
    enabled: true,
    capture(error, context = {}) {
      Sentry.withScope((scope) => {
        if (context.user) scope.setUser(context.user);
        if (context.tags) scope.setTags(context.tags);
        if (context.extra) scope.setExtras(context.extra);
        Sentry.captureException(error);
      });
    },
    async flush(timeoutMs = 2000) {
      await Sentry.flush(timeoutMs);
    },
  };
}
