import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's default headers, set in one step. helmet runs a chain of thirteen middleware per
 * request to set the same static values; they are recorded once from helmet itself, so the
 * headers stay exactly helmet's (and follow it on upgrades). Only for options whose values do
 * not depend on the request: the defaults, used here, are all static.
 */
export function securityHeaders(): RequestHandler {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => void set.push([name, value]),
    removeHeader: (name: string) => void removed.push(name),
  };
  let nextCalled = false;
  helmet()({} as never, recorder as never, (err?: unknown) => {
    if (err) throw err;
    nextCalled = true;
  });
  // helmet's default chain is synchronous; anything else could not be replayed.
  if (!nextCalled) throw new Error('helmet did not finish synchronously');
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}
