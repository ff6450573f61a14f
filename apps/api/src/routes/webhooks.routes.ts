import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { toWebhookDeliveryView } from '@vectort/shared';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import type { WebhooksService } from '../services/webhooks.service';

export const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export interface WebhooksRoutesDeps {
  auth: RequestHandler;
  webhooks: WebhooksService;
}

/** The caller's webhook secret (read, rotate) and delivery log; mounted at `/api/webhooks`. */
export function webhooksRoutes(deps: WebhooksRoutesDeps): Router {
  const router = Router();

  router.get('/secret', recordRoute, deps.auth, async (req, res) => {
    res.set('Cache-Control', 'no-store').json({ secret: await deps.webhooks.secret(req.user!._id) });
  });

  router.post('/secret/rotate', recordRoute, deps.auth, async (req, res) => {
    const secret = await deps.webhooks.rotateSecret(req.user!._id);
    req.log.info('webhook_secret_rotated');
    res.set('Cache-Control', 'no-store').json({ secret });
  });

  router.get('/deliveries', recordRoute, deps.auth, async (req, res) => {
    const { limit } = parseInput(deliveriesQuery, req.query, 'query');
    const rows = await deps.webhooks.deliveries(req.user!._id, limit);
    res.json({ items: rows.map(toWebhookDeliveryView) });
  });

  return router;
}
