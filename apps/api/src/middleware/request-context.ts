import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger, Metrics } from '@vectort/shared';
import { attachRequestLogger, logForRequest } from '../http/request-logger';
import type { ActiveUsers } from '../services/api-gauges';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** `${n}xx` by n: Node answers 100-999. */
const STATUS_CLASSES = Array.from({ length: 10 }, (_, n) => `${n}xx`);

/**
 * Gives each request an id (the client's `X-Request-Id` when it is sane, else a new UUID),
 * echoes it, attaches a child logger, and writes one access line when the response ends.
 */
export function requestContext(logger: Logger, metrics?: Metrics, activeUsers?: ActiveUsers): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    attachRequestLogger(req, logger, { request_id: req.id });
    res.setHeader('X-Request-Id', req.id);
    const started = performance.now();
    res.on('finish', () => {
      const durationMs = performance.now() - started;
      const route = req.routeTemplate ?? 'unmatched';
      // The token's own text of the id when there is one (no new string per request).
      const userId = req.token?.userId ?? (req.userId ?? req.user?._id)?.toHexString();
      if (userId) activeUsers?.seen(userId);
      metrics?.httpDuration.observe(
        { method: req.method, route, status_class: STATUS_CLASSES[Math.floor(res.statusCode / 100)] },
        durationMs / 1000,
      );
      logForRequest(req, 'info', 'request', {
        method: req.method,
        route,
        status: res.statusCode,
        duration_ms: Math.round(durationMs * 100) / 100,
        user_id: userId,
        cache: res.getHeader('X-Cache'),
      });
    });
    next();
  };
}

/**
 * The first handler of every route: records the route's template (`/api/projects/:id`) while
 * express still knows it, so logs and metrics label by template, never by raw path.
 */
export const recordRoute: RequestHandler = (req, _res, next) => {
  req.routeTemplate = `${req.baseUrl}${typeof req.route?.path === 'string' ? req.route.path : ''}`;
  next();
};
