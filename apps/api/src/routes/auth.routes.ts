import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { UnauthorizedError, toUserView, type UserDocument } from '@vectort/shared';
import { parseInput } from '../http/validate';
import type { FailureLimit } from '../middleware/failure-limit';
import { recordRoute } from '../middleware/request-context';
import type { TokenRevocations } from '../services/token-revocations';
import type { TokenService } from '../services/token.service';
import type { UsersService } from '../services/users.service';

const email = z.string().trim().max(254).pipe(z.email('must be an email address'));
const newPassword = z.string().min(8).max(128);

export const registerBody = z.strictObject({
  email,
  password: newPassword,
  full_name: z.string().trim().min(1).max(200).nullish(),
});

export const loginBody = z.strictObject({
  email,
  password: z.string().min(1).max(128),
});

export const passwordBody = z.strictObject({
  current_password: z.string().min(1).max(128),
  new_password: newPassword,
});

export interface AuthRoutesDeps {
  users: UsersService;
  tokens: TokenService;
  revocations: TokenRevocations;
  /** requireAuth: logout and password change need the user and a settled revocation check. */
  auth: RequestHandler;
  registerLimiter: RequestHandler;
  loginLimiter: RequestHandler;
  /** Failed logins per (email, client IP): API.md, "Rate limits". */
  loginFailures: FailureLimit;
}

export function authRoutes(deps: AuthRoutesDeps): Router {
  const router = Router();

  /** A new token; the user's revocation entry is primed so the first fast-path read finds it. */
  const issue = async (user: UserDocument) => {
    const token = deps.tokens.issue(user._id.toHexString());
    // Only an optimisation: a missing entry is answered from MongoDB.
    await deps.revocations.remember(user).catch(() => undefined);
    return token;
  };

  router.post('/register', recordRoute, deps.registerLimiter, async (req, res) => {
    const body = parseInput(registerBody, req.body, 'body');
    const user = await deps.users.register(body);
    req.log.info('user_registered', { user_id: user._id.toHexString() });
    res.status(201).json({ token: await issue(user), user: toUserView(user) });
  });

  router.post('/login', recordRoute, deps.loginLimiter, async (req, res) => {
    const body = parseInput(loginBody, req.body, 'body');
    await deps.loginFailures.assertAllowed(req, res, body.email);
    let user: UserDocument;
    try {
      user = await deps.users.login(body.email, body.password);
    } catch (err) {
      if (err instanceof UnauthorizedError) await deps.loginFailures.recordFailure(req, body.email);
      throw err;
    }
    await deps.loginFailures.reset(req, body.email);
    res.json({ token: await issue(user), user: toUserView(user) });
  });

  router.post('/logout', recordRoute, deps.auth, async (req, res) => {
    await deps.revocations.revokeToken(req.token!);
    req.log.info('user_logged_out');
    res.status(204).end();
  });

  router.post('/password', recordRoute, deps.auth, async (req, res) => {
    const body = parseInput(passwordBody, req.body, 'body');
    const user = req.user!;
    // A stolen token must not become a way to guess the password: the login limit applies.
    await deps.loginFailures.assertAllowed(req, res, user.email);
    if (!(await deps.users.verifyPassword(user._id, body.current_password))) {
      await deps.loginFailures.recordFailure(req, user.email);
      throw new UnauthorizedError('Wrong password');
    }
    // Revoke first: if the change then fails, the user logs in again with the old password,
    // never keeps tokens the change should have ended.
    await deps.revocations.revokeAllBefore(user._id, new Date());
    await deps.users.setPassword(user._id, body.new_password);
    req.log.info('password_changed');
    res.status(204).end();
  });

  return router;
}
