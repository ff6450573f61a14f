import type { RequestHandler } from 'express';
import { ForbiddenError, UnauthorizedError } from '@vectort/shared';
import type { TokenService } from '../services/token.service';
import type { UsersService } from '../services/users.service';

/** Requires `Authorization: Bearer <jwt>` and loads the user, so plan and credit changes apply at once. */
export function requireAuth(tokens: TokenService, users: UsersService): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    const match = header?.match(/^Bearer ([A-Za-z0-9._-]+)$/);
    if (!match) throw new UnauthorizedError('Missing or malformed bearer token');
    const userId = tokens.verify(match[1]!);
    const user = await users.findById(userId);
    if (!user) throw new UnauthorizedError('Token does not match a user');
    req.user = user;
    req.log = req.log.child({ user_id: user._id.toHexString() });
    next();
  };
}

/** Admins are the users whose email is in `ADMIN_EMAILS`. Must follow `requireAuth`. */
export function requireAdmin(adminEmails: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user || !adminEmails.includes(req.user.email_lower)) throw new ForbiddenError('Admins only');
    next();
  };
}
