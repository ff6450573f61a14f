import type { ObjectId } from 'mongodb';

export const CREDIT_PACKS = ['small', 'medium', 'large'] as const;
export type CreditPack = (typeof CREDIT_PACKS)[number];

/**
 * What each pack grants and costs (API.md, "Credits"). Bigger packs are cheaper per credit:
 * 5.0, 4.0 and 3.0 cents. Prices are whole cents so no float arithmetic reaches a charge.
 */
export const CREDIT_PACK_OFFERS: Record<CreditPack, { credits: number; amountCents: number }> = {
  small: { credits: 100, amountCents: 500 },
  medium: { credits: 500, amountCents: 2000 },
  large: { credits: 2000, amountCents: 6000 },
};

/**
 * `pending` until the provider confirms the charge, `completed` once the credits are granted,
 * `failed` when the provider refused it.
 */
export type PurchaseStatus = 'pending' | 'completed' | 'failed';

/** A credit purchase as stored in the `purchases` collection. */
export interface PurchaseDocument {
  _id: ObjectId;
  user_id: ObjectId;
  pack: CreditPack;
  credits: number;
  amount_cents: number;
  /** The payment provider's name (`test`, …). */
  provider: string;
  /** The provider's own id of the charge, once it has one. */
  provider_reference: string | null;
  status: PurchaseStatus;
  created_at: Date;
  updated_at: Date;
}

/** The `purchase` object of `POST /api/credits/purchase`. */
export interface PurchaseView {
  id: string;
  pack: CreditPack;
  credits: number;
  amount_usd: number;
  provider: string;
  status: PurchaseStatus;
  created_at: string;
}

export function toPurchaseView(p: PurchaseDocument): PurchaseView {
  return {
    id: p._id.toHexString(),
    pack: p.pack,
    credits: p.credits,
    amount_usd: p.amount_cents / 100,
    provider: p.provider,
    status: p.status,
    created_at: p.created_at.toISOString(),
  };
}

/** The credit ledger's operation key of a purchase: granting it twice is a no-op. */
export function purchaseLedgerKey(purchaseId: ObjectId): string {
  return `purchase:${purchaseId.toHexString()}`;
}
