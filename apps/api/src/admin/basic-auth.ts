import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '@vectort/shared';
import type { FailureLimit } from '../middleware/failure-limit';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * HTTP Basic auth against one user and password. Both are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither a wrong length nor a wrong prefix answers faster. A failure is
 * the contract's 401 with a `WWW-Authenticate` challenge, so browsers prompt. With `failures`,
 * wrong credentials count per client IP and a locked-out IP gets 429 even with the right ones;
 * a request without credentials (a browser's first, before it prompts) does not count.
 */
export function basicAuth(user: string, password: string, realm: string, failures?: FailureLimit): RequestHandler {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return async (req, res, next) => {
    const header = req.get('authorization');
    await failures?.assertAllowed(req, res, 'basic');
    const match = header?.match(/^Basic ([A-Za-z0-9+/=]+)$/i);
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const givenUser = colon >= 0 ? decoded.slice(0, colon) : '';
    const givenPassword = colon >= 0 ? decoded.slice(colon + 1) : '';
    // Both comparisons always run: the time taken says nothing about which part was wrong.
    const userOk = timingSafeEqual(digest(givenUser), expectedUser);
    const passwordOk = timingSafeEqual(digest(givenPassword), expectedPassword);
    if (match && colon >= 0 && userOk && passwordOk) {
      next();
      return;
    }
    if (header !== undefined) await failures?.recordFailure(req, 'basic');
    res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    throw new UnauthorizedError('Admin credentials required');
  };
}
