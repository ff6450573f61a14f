import type { ObjectId } from 'mongodb';
import type { Plan } from './plan';

/** A user as stored in the `users` collection. */
export interface UserDocument {
  _id: ObjectId;
  email: string;
  /** Lower-cased email; unique index, so registration is case-insensitive. */
  email_lower: string;
  password_hash: string;
  full_name: string | null;
  plan: Plan;
  credits: number;
  created_at: Date;
  updated_at: Date;
  /**
   * Keys of credit operations whose balance change is made but whose ledger entry may not be
   * written yet (in flight, or cut short by a crash): the balance update and this marker change
   * in one single-document update. The ledger entry is what says "applied" (see
   * credits-ledger.ts); once it exists the marker goes with the user's next operation. Never
   * sent to clients.
   */
  applied_ops?: string[];
  /**
   * Set only by the operator command (`npm run admin -- grant|revoke <email>`), never by a
   * route: registering an address proves nothing about owning it. Absent means not an admin.
   */
  is_admin?: boolean;
  /**
   * Set by a password change: tokens issued up to this instant are revoked. The durable copy
   * of what Redis holds for the hot paths (see the API's token-revocations.ts).
   */
  tokens_valid_after?: Date;
  /** Logged-out tokens that have not expired yet (id and expiry), bounded; never sent to clients. */
  revoked_tokens?: { jti: string; exp: Date }[];
}

/** The `user` object of API.md. */
export interface UserView {
  id: string;
  email: string;
  full_name: string | null;
  plan: Plan;
  credits: number;
  is_admin: boolean;
  created_at: string;
}

export function toUserView(user: UserDocument): UserView {
  return {
    id: user._id.toHexString(),
    email: user.email,
    full_name: user.full_name,
    plan: user.plan,
    credits: user.credits,
    is_admin: user.is_admin === true,
    created_at: user.created_at.toISOString(),
  };
}
