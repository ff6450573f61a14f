import { ObjectId, type Db } from 'mongodb';
import {
  CREDIT_PACK_OFFERS,
  Collections,
  UnavailableError,
  purchaseLedgerKey,
  type CreditPack,
  type CreditsLedger,
  type PurchaseDocument,
  type UserDocument,
} from '@vectort/shared';
import type { ChargeResult, PaymentProvider } from './payments/payment-provider';

export interface PurchaseOutcome {
  purchase: PurchaseDocument;
  /** The user's balance once the purchase is settled. */
  balance: number;
}

export interface PurchasesService {
  /** Records the purchase, charges the provider and, once paid, grants the pack's credits exactly once. */
  purchase(user: UserDocument, pack: CreditPack): Promise<PurchaseOutcome>;
}

export interface PurchasesServiceDeps {
  db: Db;
  ledger: CreditsLedger;
  /** `null` when no provider is configured: purchases answer 503. */
  provider: PaymentProvider | null;
}

/** Purchases are refused for as long as the configuration lacks a provider: tell clients not to retry soon. */
const NOT_CONFIGURED_RETRY_AFTER_SECONDS = 3600;

export function createPurchasesService(deps: PurchasesServiceDeps): PurchasesService {
  const purchases = deps.db.collection<PurchaseDocument>(Collections.purchases);
  const users = deps.db.collection<UserDocument>(Collections.users);

  return {
    async purchase(user, pack) {
      const provider = deps.provider;
      if (!provider) {
        throw new UnavailableError(
          'Credit purchases are not available: this server has no payment provider configured (PAYMENT_PROVIDER)',
          NOT_CONFIGURED_RETRY_AFTER_SECONDS,
        );
      }
      const offer = CREDIT_PACK_OFFERS[pack];
      const now = new Date();
      const doc: PurchaseDocument = {
        _id: new ObjectId(),
        user_id: user._id,
        pack,
        credits: offer.credits,
        amount_cents: offer.amountCents,
        provider: provider.name,
        provider_reference: null,
        status: 'pending',
        created_at: now,
        updated_at: now,
      };
      // Recorded before the charge, so a charge always has a purchase to reconcile against.
      await purchases.insertOne(doc);

      let charge: ChargeResult;
      try {
        charge = await provider.charge({
          purchaseId: doc._id,
          userId: user._id,
          pack,
          credits: offer.credits,
          amountCents: offer.amountCents,
        });
      } catch (err) {
        await purchases
          .updateOne({ _id: doc._id }, { $set: { status: 'failed', updated_at: new Date() } })
          .catch(() => undefined);
        throw err;
      }

      let settled: PurchaseDocument = { ...doc, provider_reference: charge.reference, updated_at: new Date() };
      if (charge.status === 'succeeded') {
        // Credits first, status second: a crash in between leaves a paid `pending` purchase whose
        // grant is already applied, and granting it again under the same key is a no-op.
        const granted = await deps.ledger.apply({
          userId: user._id,
          key: purchaseLedgerKey(doc._id),
          delta: offer.credits,
          reason: 'purchase',
          jobId: null,
        });
        if (granted === 'insufficient')
          throw new Error(`purchase ${doc._id.toHexString()}: user ${user._id.toHexString()} is gone`);
        settled = { ...settled, status: 'completed' };
      }
      await purchases.updateOne(
        { _id: doc._id },
        {
          $set: {
            status: settled.status,
            provider_reference: settled.provider_reference,
            updated_at: settled.updated_at,
          },
        },
      );
      const after = await users.findOne({ _id: user._id }, { projection: { credits: 1 } });
      return { purchase: settled, balance: after?.credits ?? user.credits };
    },
  };
}
