import type { ObjectId } from 'mongodb';
import type { Logger, Plan, UserDocument } from '@vectort/shared';
import type { PendingAuthCheck } from '../services/token-revocations';
import type { TokenClaims } from '../services/token.service';

// Per-request state the middleware chain attaches to express's Request.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id, echoed in `X-Request-Id` and every error body. */
      id: string;
      /** A child logger carrying `request_id` (and `user_id` once authenticated). */
      log: Logger;
      /** The token's user id, set by `authenticate`. */
      userId?: ObjectId;
      /** The verified token's claims, set by `authenticate`. */
      token?: TokenClaims;
      /** Whether the token is revoked, still to be settled on token-only fast paths. */
      authCheck?: PendingAuthCheck;
      /** The authenticated user, set by `requireAuth` or `loadUser`. */
      user?: UserDocument;
      /** The user's plan when the user itself was not read (a miss submit found it mirrored in Redis). */
      plan?: Plan;
      /** The matched route's template (`/api/projects/:id`), set by `recordRoute`. */
      routeTemplate?: string;
    }
  }
}

export {};
