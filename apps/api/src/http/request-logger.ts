import express, { type Request } from 'express';
import { levelEnabled, type Logger } from '@vectort/shared';
import { requestState } from './request-state';

// `req.log` is made the first time it is read: most requests (cache hits, polls) write nothing
// but their access line, and a winston child per request (two once authenticated) cost more
// than writing that line.

// Defined once on express's request prototype, not per request: a property defined on each
// request object cost more than the rest of this file.
Object.defineProperty(express.request, 'log', {
  configurable: true,
  get(this: Request) {
    const s = requestState(this);
    if (s.logChild) return s.logChild;
    if (!s.logRoot) throw new Error('req.log read before requestContext attached a logger');
    return (s.logChild = s.logRoot.child({ ...s.logFields }));
  },
  set(this: Request, logger: Logger) {
    requestState(this).logChild = logger;
  },
});

/** Gives `req` its `log`: a child of `root` carrying `fields` (and those added later). */
export function attachRequestLogger(req: Request, root: Logger, fields: Record<string, string>): void {
  const s = requestState(req);
  s.logRoot = root;
  s.logFields = fields;
}

/** Adds `fields` to every later line of the request (`user_id` once authenticated). */
export function addLogFields(req: Request, fields: Record<string, string>): void {
  const s = requestState(req);
  Object.assign(s.logFields, fields);
  if (s.logChild) s.logChild = s.logChild.child(fields);
}

/**
 * Writes one line with the request's fields: through `req.log` when something made it (it may
 * carry more), else straight through the root logger with the same fields.
 *
 * `Object.assign`, not `{ ...s.logFields, ...meta }`: in the API, the two-spread literal made
 * most of every request's garbage outlive young-generation collections (`--trace-gc-nvp`: about
 * 350 KB promoted per scavenge on `/healthz` at 1,000 req/s, 8-10 KB with `Object.assign`), and
 * the old generation it filled cost a full collection every few seconds.
 */
export function logForRequest(req: Request, level: string, message: string, meta: Record<string, unknown>): void {
  const s = requestState(req);
  const root = s.logRoot;
  if (s.logChild) s.logChild.log(level, message, meta);
  else if (root && levelEnabled(root, level)) root.log(level, message, Object.assign({}, s.logFields, meta));
}
