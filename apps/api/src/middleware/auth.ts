import type { Request, RequestHandler } from 'express';
import { ObjectId } from 'mongodb';
import { ForbiddenError, UnauthorizedError, type UserDocument } from '@vectort/shared';
import type { TokenService } from '../services/token.service';
import type { UsersService } from '../services/users.service';

/**
 * Requires `Authorization: Bearer <jwt>` and sets `req.userId`, without reading the database:
 * for hot paths (cache hits) that load the user only when they need it (`loadUser`).
 */
export function authenticate(tokens: TokenService): RequestHandler {
  return (req, _res, next) => {
    const match = req.get('authorization')?.match(/^Bearer ([A-Za-z0-9._-]+)$/);
    if (!match) throw new UnauthorizedError('Missing or malformed bearer token');
    const userId = tokens.verify(match[1]!);
    if (!ObjectId.isValid(userId)) throw new UnauthorizedError('Invalid token');
    req.userId = new ObjectId(userId);
    req.log = req.log.child({ user_id: userId });
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

/** `authenticate`, then the user itself, so plan and credit changes apply at once. */
export function requireAuth(tokens: TokenService, users: UsersService): RequestHandler {
  const check = authenticate(tokens);
  return async (req, res, next) => {
    check(req, res, () => undefined);
    await loadUser(req, users);
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
