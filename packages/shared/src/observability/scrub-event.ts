import type { Breadcrumb, Event } from '@sentry/node';
import { redact } from '../logging/redact';

/**
 * What may leave for Sentry: never request bodies (a login holds a password), cookies,
 * headers (authorization), query strings or IP addresses; the user's id and email only. The
 * rest (messages, extras, breadcrumbs) goes through the log redaction, so a connection string
 * in an error message loses its password here too. Applied to errors and transactions alike.
 */
export function scrubEvent<T extends Event>(event: T): T {
  if (event.request) {
    const { method, url } = event.request;
    event.request = { method, url: url?.split('?')[0] };
  }
  if (event.user) {
    const { id, email } = event.user;
    event.user = { ...(id === undefined ? {} : { id }), ...(email === undefined ? {} : { email }) };
  }
  if (event.contexts) {
    // Response headers may set cookies; the rest of the contexts (runtime, os, trace) stays.
    delete event.contexts.response;
  }
  if (event.extra) event.extra = redact(event.extra) as Event['extra'];
  if (event.message) event.message = redact(event.message) as string;
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = redact(exception.value) as string;
  }
  if (event.breadcrumbs) event.breadcrumbs = event.breadcrumbs.map(scrubBreadcrumb);
  if (event.spans) {
    for (const span of event.spans) if (span.data) span.data = redact(span.data) as typeof span.data;
  }
  return event;
}

/** Breadcrumbs keep their kind and a redacted message; HTTP ones lose the query string. */
export function scrubBreadcrumb(crumb: Breadcrumb): Breadcrumb {
  const data = crumb.data ? (redact(crumb.data) as Record<string, unknown>) : undefined;
  if (data && typeof data.url === 'string') data.url = data.url.split('?')[0];
  return { ...crumb, message: crumb.message && (redact(crumb.message) as string), data };
}
