import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { PLANS, toUserView } from '@vectort/shared';
import { parseObjectId } from '../http/object-id';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import { requireAdmin } from '../middleware/auth';
import type { UsersService } from '../services/users.service';

export const adminPatchBody = z
  .strictObject({
    plan: z.enum(PLANS).optional(),
    credits: z.number().int().min(0).max(1_000_000_000).optional(),
  })
  .refine((b) => b.plan !== undefined || b.credits !== undefined, 'give plan or credits');

export interface UsersRoutesDeps {
  users: UsersService;
  auth: RequestHandler;
}

/** `/api/me` and the admin's user update; mounted under `/api`. */
export function usersRoutes(deps: UsersRoutesDeps): Router {
  const router = Router();

  router.get('/me', recordRoute, deps.auth, (req, res) => {
    res.json(toUserView(req.user!));
  });

  router.patch('/admin/users/:id', recordRoute, deps.auth, requireAdmin(), async (req, res) => {
    const id = parseObjectId(req.params.id as string, 'User');
    const body = parseInput(adminPatchBody, req.body, 'body');
    const user = await deps.users.adminUpdate(id, body);
    req.log.info('user_updated_by_admin', { target_user_id: id.toHexString(), changes: body });
    res.json(toUserView(user));
  });

  return router;
}
