import express from 'express';
import type { ObjectId } from 'mongodb';
import type { Logger, Plan, UserDocument } from '@vectort/shared';
import type { PendingAuthCheck } from '../services/token-revocations';
import type { TokenClaims } from '../services/token.service';

// Per-request state the middleware chain attaches to express's Request.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id, echoed in `X-Request-Id` and every error body. */
      id: string;
      /** A child logger carrying `request_id` (and `user_id` once authenticated). */
      log: Logger;
      /** The token's user id, set by `authenticate`. */
      userId?: ObjectId;
      /** The verified token's claims, set by `authenticate`. */
      token?: TokenClaims;
      /** Whether the token is revoked, still to be settled on token-only fast paths. */
      authCheck?: PendingAuthCheck;
      /** The authenticated user, set by `requireAuth` or `loadUser`. */
      user?: UserDocument;
      /** The user's plan when the user itself was not read (a miss submit found it mirrored in Redis). */
      plan?: Plan;
      /** The matched route's template (`/api/projects/:id`), set by `recordRoute`. */
      routeTemplate?: string;
    }
  }
}

/** What the fields above hold, and the request logger's own (request-logger.ts). */
export interface RequestState {
  id: string | undefined;
  userId: ObjectId | undefined;
  token: TokenClaims | undefined;
  authCheck: PendingAuthCheck | undefined;
  user: UserDocument | undefined;
  plan: Plan | undefined;
  routeTemplate: string | undefined;
  logRoot: Logger | undefined;
  logFields: Record<string, string>;
  logChild: Logger | undefined;
  /** A response sent before the revocation check was settled was refused once (auth.ts). */
  unsettledRefused: boolean;
}

// Every property added to express's request object costs about 1.4 KB of allocation (it has
// had its prototype changed, so V8 makes new hidden classes for it), and a cache hit added ten.
// The fields live in one object added once, behind accessors defined once on the prototype
// (`npm run bench:alloc`).
const STATE = Symbol('request state');
type WithState = { [STATE]?: RequestState };

/** `req`'s state, made on first use. */
export function requestState(req: express.Request): RequestState {
  const r = req as unknown as WithState;
  return (r[STATE] ??= {
    id: undefined,
    userId: undefined,
    token: undefined,
    authCheck: undefined,
    user: undefined,
    plan: undefined,
    routeTemplate: undefined,
    logRoot: undefined,
    logFields: {},
    logChild: undefined,
    unsettledRefused: false,
  });
}

for (const name of ['id', 'userId', 'token', 'authCheck', 'user', 'plan', 'routeTemplate'] as const) {
  Object.defineProperty(express.request, name, {
    configurable: true,
    get(this: WithState) {
      return this[STATE]?.[name];
    },
    set(this: express.Request, value: never) {
      requestState(this)[name] = value;
    },
  });
}
