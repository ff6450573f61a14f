import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type RequestHandler } from 'express';
import { ForbiddenError, QUEUE_NAMES, type QueueName } from '@vectort/shared';
import type { FailureLimit } from '../middleware/failure-limit';
import { basicAuth } from './basic-auth';

/** Where the Bull Board UI lives. */
export const BULL_BOARD_PATH = '/admin/queues';

export interface BullBoardOptions {
  queues: Record<QueueName, Queue>;
  user: string;
  password: string;
  /** Failed Basic auth per client IP: 429 once over the limit (a brute-force stopper). */
  failures?: FailureLimit;
}

/** Labels the access log line; Bull Board's own routes are invisible to `recordRoute`. */
const recordAdminRoute: RequestHandler = (req, _res, next) => {
  req.routeTemplate = BULL_BOARD_PATH;
  next();
};

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * Browsers send Basic credentials with any request to this origin, including one a foreign
 * page makes them send: refuse state-changing requests that come from another site.
 */
const sameSiteWrites: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const crossSite =
    (site !== undefined && site !== 'same-origin') || (origin !== undefined && hostOf(origin) !== req.get('host'));
  if (crossSite) throw new ForbiddenError('Cross-site requests to the admin UI are refused');
  next();
};

/**
 * The Bull Board UI for every queue of the contract (read when called, so a queue added to
 * `QUEUE_NAMES` shows up without touching this), behind HTTP Basic auth. Mount at
 * {@link BULL_BOARD_PATH}; mount nothing when no admin credentials are configured.
 */
export function bullBoardRouter(options: BullBoardOptions): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(options.queues[name])),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Vectort queues' } },
  });
  const router = Router();
  router.use(
    recordAdminRoute,
    basicAuth(options.user, options.password, 'Vectort admin', options.failures),
    sameSiteWrites,
    serverAdapter.getRouter(),
  );
  return router;
}
