import { Router, type RequestHandler } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import {
  CREDIT_PACKS,
  Collections,
  toLedgerEntryView,
  toPurchaseView,
  type LedgerEntryDocument,
} from '@vectort/shared';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import type { PurchasesService } from '../services/purchases.service';

// Ledger ids are operation keys, not ObjectIds: page on (created_at, _id).
export const ledgerQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(200)
    .optional()
    .transform((c, ctx) => {
      if (c === undefined) return undefined;
      try {
        const [at, id] = JSON.parse(Buffer.from(c, 'base64url').toString()) as [number, string];
        if (typeof at !== 'number' || typeof id !== 'string') throw new Error('shape');
        return { at: new Date(at), id };
      } catch {
        ctx.addIssue({ code: 'custom', message: 'malformed cursor' });
        return z.NEVER;
      }
    }),
});

export const purchaseBody = z.strictObject({ pack: z.enum(CREDIT_PACKS) });

export interface CreditsRoutesDeps {
  db: Db;
  auth: RequestHandler;
  purchases: PurchasesService;
  /** Per user, every plan alike; runs after `auth`. */
  purchaseLimiter: RequestHandler;
}

/** `GET /api/credits` (the balance and the ledger, newest first) and `POST /api/credits/purchase`. */
export function creditsRoutes(deps: CreditsRoutesDeps): Router {
  const router = Router();
  const ledger = deps.db.collection<LedgerEntryDocument>(Collections.creditLedger);

  router.get('/', recordRoute, deps.auth, async (req, res) => {
    const { limit, cursor } = parseInput(ledgerQuery, req.query, 'query');
    const user = req.user!;
    const filter = cursor
      ? {
          user_id: user._id,
          $or: [{ created_at: { $lt: cursor.at } }, { created_at: cursor.at, _id: { $lt: cursor.id } }],
        }
      : { user_id: user._id };
    const rows = await ledger
      .find(filter)
      .sort({ created_at: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? Buffer.from(JSON.stringify([last.created_at.getTime(), last._id])).toString('base64url')
        : null;
    res.json({ balance: user.credits, ledger: kept.map(toLedgerEntryView), next_cursor: nextCursor });
  });

  router.post('/purchase', recordRoute, deps.auth, deps.purchaseLimiter, async (req, res) => {
    const { pack } = parseInput(purchaseBody, req.body, 'body');
    const { purchase, balance } = await deps.purchases.purchase(req.user!, pack);
    req.log.info('credits_purchased', {
      purchase_id: purchase._id.toHexString(),
      pack,
      credits: purchase.credits,
      provider: purchase.provider,
      status: purchase.status,
    });
    res.status(201).json({ balance, purchase: toPurchaseView(purchase) });
  });

  return router;
}
