import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { toUserView } from '@vectort/shared';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import type { TokenService } from '../services/token.service';
import type { UsersService } from '../services/users.service';

const email = z.string().trim().max(254).pipe(z.email('must be an email address'));

const registerBody = z.strictObject({
  email,
  password: z.string().min(8).max(128),
  full_name: z.string().trim().min(1).max(200).nullish(),
});

const loginBody = z.strictObject({
  email,
  password: z.string().min(1).max(128),
});

export interface AuthRoutesDeps {
  users: UsersService;
  tokens: TokenService;
  registerLimiter: RequestHandler;
  loginLimiter: RequestHandler;
}

export function authRoutes(deps: AuthRoutesDeps): Router {
  const router = Router();

  router.post('/register', recordRoute, deps.registerLimiter, async (req, res) => {
    const body = parseInput(registerBody, req.body, 'body');
    const user = await deps.users.register(body);
    req.log.info('user_registered', { user_id: user._id.toHexString() });
    res.status(201).json({ token: deps.tokens.issue(user._id.toHexString()), user: toUserView(user) });
  });

  router.post('/login', recordRoute, deps.loginLimiter, async (req, res) => {
    const body = parseInput(loginBody, req.body, 'body');
    const user = await deps.users.login(body.email, body.password);
    res.json({ token: deps.tokens.issue(user._id.toHexString()), user: toUserView(user) });
  });

  return router;
}
