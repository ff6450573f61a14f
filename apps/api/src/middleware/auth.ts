import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { ForbiddenError, UnauthorizedError, type UserDocument } from '@vectort/shared';
import { addLogFields } from '../http/request-logger';
import { requestState } from '../http/request-state';
import type { TokenRevocations } from '../services/token-revocations';
import type { TokenService } from '../services/token.service';
import type { UsersService } from '../services/users.service';

const TOKEN = /^[A-Za-z0-9._-]+$/;

function verifyBearer(req: Request, tokens: TokenService, revocations: TokenRevocations): void {
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7) : '';
  if (!TOKEN.test(token)) throw new UnauthorizedError('Missing or malformed bearer token');
  const claims = tokens.verifyClaims(token);
  req.token = claims;
  req.userId = claims.userObjectId;
  req.authCheck = revocations.pending(claims);
  addLogFields(req, { user_id: claims.userId });
}

/**
 * A response must never leave before its token's revocation check: a fast-path route that
 * forgot to settle it fails closed (500, logged) instead of answering a revoked token. Defined
 * once on express's response prototype, for every response, rather than wrapped onto each one
 * (request-state.ts says what a property added per request costs); the error answer that
 * follows a refusal goes out.
 */
const nodeWriteHead = express.response.writeHead;
express.response.writeHead = function guarded(this: Response, ...args: Parameters<Response['writeHead']>) {
  const req = this.req;
  const check = req?.authCheck;
  if (check && !check.settled) {
    const state = requestState(req);
    if (!state.unsettledRefused) {
      state.unsettledRefused = true;
      throw new Error(`${req.routeTemplate ?? req.path} answered before settling the token's revocation check`);
    }
  }
  return nodeWriteHead.apply(this, args);
} as Response['writeHead'];

/**
 * Error middleware, before the error handler: a fast-path request that failed before its
 * revocation check (a malformed id, a 404) settles it now, so a revoked token gets 401 there too.
 */
export const settleAuthBeforeErrors: ErrorRequestHandler = (err, req, _res, next) => {
  if (!req.authCheck || req.authCheck.settled) return next(err);
  req.authCheck.settleAlone().then(
    () => next(err),
    (authErr: unknown) => next(authErr instanceof UnauthorizedError ? authErr : err),
  );
};

/**
 * Requires `Authorization: Bearer <jwt>` and sets `req.userId`, without reading MongoDB: for
 * token-only fast paths (cache hits, job polls). The revocation check is left in
 * `req.authCheck` for the route to settle with the Redis read it makes anyway (its keys go into
 * the same MGET); a response sent before that is refused.
 */
export function authenticate(tokens: TokenService, revocations: TokenRevocations): RequestHandler {
  return (req, _res, next) => {
    verifyBearer(req, tokens, revocations);
    next();
  };
}

/** Loads the authenticated user into `req.user`; 401 when the token's user no longer exists. */
export async function loadUser(req: Request, users: UsersService): Promise<UserDocument> {
  const user = await users.findById(req.userId!);
  if (!user) throw new UnauthorizedError('Token does not match a user');
  req.user = user;
  return user;
}

/**
 * The token, its revocation check (one Redis read, alongside the user's MongoDB read) and the
 * user itself, so plan, credit and admin changes apply at once.
 */
export function requireAuth(tokens: TokenService, users: UsersService, revocations: TokenRevocations): RequestHandler {
  return async (req, _res, next) => {
    verifyBearer(req, tokens, revocations);
    const [loaded, checked] = await Promise.allSettled([loadUser(req, users), req.authCheck!.settleAlone()]);
    if (checked.status === 'rejected') throw checked.reason;
    if (loaded.status === 'rejected') throw loaded.reason;
    next();
  };
}

/**
 * Admins are the users whose stored `is_admin` flag is set (by `npm run admin`). Must follow
 * `requireAuth`: the flag is read from the user document loaded for this request, never from
 * the token, so a revoke applies on the next request.
 */
export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    if (req.user?.is_admin !== true) throw new ForbiddenError('Admins only');
    next();
  };
}
