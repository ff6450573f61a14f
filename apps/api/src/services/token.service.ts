import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthorizedError } from '@vectort/shared';

const ISSUER = 'vectort';
const AUDIENCE = 'vectort-api';

export interface TokenService {
  issue(userId: string): string;
  /** Returns the user id, or throws 401 for a missing, expired, tampered or foreign token. */
  verify(token: string): string;
}

/** HS256 JWTs with an expiry; only HS256 is accepted, so `alg: none` and key confusion fail. */
export function createTokenService(options: { secret: string; ttlSeconds: number }): TokenService {
  // A KeyObject made once: given a string, jsonwebtoken first tries it as a public key on every
  // call (and throws), which was a quarter of a cache hit's CPU time.
  const key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  return {
    issue(userId) {
      return jwt.sign({}, key, {
        algorithm: 'HS256',
        subject: userId,
        expiresIn: options.ttlSeconds,
        issuer: ISSUER,
        audience: AUDIENCE,
      });
    },
    verify(token) {
      try {
        const payload = jwt.verify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
        if (typeof payload === 'string' || typeof payload.sub !== 'string') throw new Error('no subject');
        return payload.sub;
      } catch (err) {
        const expired = err instanceof jwt.TokenExpiredError;
        throw new UnauthorizedError(expired ? 'Token expired' : 'Invalid token');
      }
    },
  };
}
