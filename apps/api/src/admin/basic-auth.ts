import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '@vectort/shared';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * HTTP Basic auth against one user and password. Both are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither a wrong length nor a wrong prefix answers faster. A failure is
 * the contract's 401 with a `WWW-Authenticate` challenge, so browsers prompt.
 */
export function basicAuth(user: string, password: string, realm: string): RequestHandler {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return (req, res, next) => {
    const match = req.get('authorization')?.match(/^Basic ([A-Za-z0-9+/=]+)$/i);
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
    res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    throw new UnauthorizedError('Admin credentials required');
  };
}
