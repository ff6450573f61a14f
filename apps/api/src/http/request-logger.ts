import express, { type Request } from 'express';
import { levelEnabled, type Logger } from '@vectort/shared';

// `req.log` is made the first time it is read: most requests (cache hits, polls) write nothing
// but their access line, and a winston child per request (two once authenticated) cost more
// than writing that line.

const ROOT = Symbol('root logger');
const FIELDS = Symbol('log fields');
const CHILD = Symbol('request logger');

interface RequestLogState {
  [ROOT]?: Logger;
  [FIELDS]: Record<string, string>;
  [CHILD]?: Logger;
}

const state = (req: Request) => req as unknown as RequestLogState;

// Defined once on express's request prototype, not per request: a property defined on each
// request object cost more than the rest of this file.
Object.defineProperty(express.request, 'log', {
  configurable: true,
  get(this: RequestLogState) {
    if (this[CHILD]) return this[CHILD];
    if (!this[ROOT]) throw new Error('req.log read before requestContext attached a logger');
    return (this[CHILD] = this[ROOT].child({ ...this[FIELDS] }));
  },
  set(this: RequestLogState, logger: Logger) {
    this[CHILD] = logger;
  },
});

/** Gives `req` its `log`: a child of `root` carrying `fields` (and those added later). */
export function attachRequestLogger(req: Request, root: Logger, fields: Record<string, string>): void {
  const s = state(req);
  s[ROOT] = root;
  s[FIELDS] = fields;
}

/** Adds `fields` to every later line of the request (`user_id` once authenticated). */
export function addLogFields(req: Request, fields: Record<string, string>): void {
  const s = state(req);
  Object.assign(s[FIELDS], fields);
  if (s[CHILD]) s[CHILD] = s[CHILD].child(fields);
}

/**
 * Writes one line with the request's fields: through `req.log` when something made it (it may
 * carry more), else straight through the root logger with the same fields.
 */
export function logForRequest(req: Request, level: string, message: string, meta: Record<string, unknown>): void {
  const s = state(req);
  const root = s[ROOT];
  if (s[CHILD]) s[CHILD].log(level, message, meta);
  else if (root && levelEnabled(root, level)) root.log(level, message, { ...s[FIELDS], ...meta });
}
