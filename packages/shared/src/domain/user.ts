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
   * credits-ledger.ts); the marker is pulled once it exists. Never sent to clients.
   */
  applied_ops?: string[];
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

export function toUserView(user: UserDocument, adminEmails: readonly string[]): UserView {
  return {
    id: user._id.toHexString(),
    email: user.email,
    full_name: user.full_name,
    plan: user.plan,
    credits: user.credits,
    is_admin: adminEmails.includes(user.email_lower),
    created_at: user.created_at.toISOString(),
  };
}
