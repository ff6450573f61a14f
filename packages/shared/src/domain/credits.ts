import type { ObjectId } from 'mongodb';

export type LedgerReason = 'signup' | 'generation' | 'generation_refund' | 'purchase' | 'admin_adjustment';

/** One credit movement, newest first in `GET /api/credits`. */
export interface LedgerEntryDocument {
  /** The operation's key (`job:<id>:generation`, `signup:<user>`…), so writing it twice is a no-op. */
  _id: string;
  user_id: ObjectId;
  delta: number;
  reason: LedgerReason;
  job_id: ObjectId | null;
  created_at: Date;
}

export interface LedgerEntryView {
  id: string;
  delta: number;
  reason: LedgerReason;
  job_id?: string;
  created_at: string;
}

export function toLedgerEntryView(e: LedgerEntryDocument): LedgerEntryView {
  return {
    id: e._id,
    delta: e.delta,
    reason: e.reason,
    ...(e.job_id ? { job_id: e.job_id.toHexString() } : {}),
    created_at: e.created_at.toISOString(),
  };
}
