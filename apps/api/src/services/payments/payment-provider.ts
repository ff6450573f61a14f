import type { ObjectId } from 'mongodb';
import type { CreditPack } from '@vectort/shared';

export interface ChargeRequest {
  /** Our purchase id: a provider uses it as its idempotency key, so a retried charge is not taken twice. */
  purchaseId: ObjectId;
  userId: ObjectId;
  pack: CreditPack;
  credits: number;
  amountCents: number;
}

export interface ChargeResult {
  /**
   * `succeeded`: paid, the credits are granted at once. `pending`: the provider confirms later
   * (a provider webhook would then grant them; none of the built-in providers does this).
   */
  status: 'succeeded' | 'pending';
  /** The provider's id of the charge. */
  reference: string;
}

/**
 * Takes payment for a credit pack. A provider that refuses a charge throws an `AppError`
 * saying why; the purchase is then recorded as `failed` and nothing is granted.
 */
export interface PaymentProvider {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
}
