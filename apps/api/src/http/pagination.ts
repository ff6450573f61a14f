import { ObjectId } from 'mongodb';
import { z } from 'zod';

export const paginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'malformed cursor')
    .optional()
    .transform((c, ctx) => {
      if (c === undefined) return undefined;
      const hex = Buffer.from(c, 'base64url').toString('hex');
      if (!/^[0-9a-f]{24}$/.test(hex)) {
        ctx.addIssue({ code: 'custom', message: 'malformed cursor' });
        return z.NEVER;
      }
      return new ObjectId(hex);
    }),
});

/** Cursors are the last item's id, base64url-encoded so clients treat them as opaque. */
export function encodeCursor(id: ObjectId): string {
  return Buffer.from(id.toHexString(), 'hex').toString('base64url');
}

/** Given `limit + 1` rows, returns `limit` of them and the cursor of the next page. */
export function page<T extends { _id: ObjectId }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const kept = rows.slice(0, limit);
  return { rows: kept, nextCursor: encodeCursor(kept[kept.length - 1]!._id) };
}
