import { createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ObjectId } from 'mongodb';
import { UnauthorizedError } from '@vectort/shared';

const ISSUER = 'vectort';
const AUDIENCE = 'vectort-api';
/**
 * Most verified tokens kept (least recently used go first): a token is verified once per
 * process, not per request. About 0.5 KB each.
 */
const MAX_VERIFIED_TOKENS = 10_000;

/** What a verified token says. */
export interface TokenClaims {
  userId: string;
  userObjectId: ObjectId;
  /** The token's own id (`jti`): what a logout revokes. */
  jti: string;
  /** Issue time in ms: a password change revokes every token issued up to its own time. */
  issuedAtMs: number;
  expiresAtMs: number;
}

export interface TokenService {
  issue(userId: string): string;
  /** Returns the user id, or throws 401 for a missing, expired, tampered or foreign token. */
  verify(token: string): string;
  /** {@link verify} with every claim revocation needs. */
  verifyClaims(token: string): TokenClaims;
}

/** HS256 JWTs with an expiry; only HS256 is accepted, so `alg: none` and key confusion fail. */
export function createTokenService(options: { secret: string; ttlSeconds: number }): TokenService {
  // A KeyObject made once: given a string, jsonwebtoken first tries it as a public key on every
  // call (and throws), which was a quarter of a cache hit's CPU time.
  const key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  const verified = createVerifiedTokens(MAX_VERIFIED_TOKENS);
  const service: TokenService = {
    issue(userId) {
      // `iat` in seconds with a fraction (NumericDate allows it): a login in the same second as
      // a password change must still be told apart from the tokens that change revoked.
      return jwt.sign({ iat: Date.now() / 1000 }, key, {
        algorithm: 'HS256',
        subject: userId,
        expiresIn: options.ttlSeconds,
        issuer: ISSUER,
        audience: AUDIENCE,
        jwtid: randomBytes(16).toString('base64url'),
      });
    },
    verify(token) {
      return service.verifyClaims(token).userId;
    },
    verifyClaims(token) {
      const known = verified.get(token);
      if (known) return known;
      try {
        const payload = jwt.verify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
        if (typeof payload === 'string' || typeof payload.sub !== 'string') throw new Error('no subject');
        // Tokens from before revocation existed carry no id: they cannot be revoked, so refuse them.
        if (typeof payload.jti !== 'string' || typeof payload.iat !== 'number' || typeof payload.exp !== 'number')
          throw new Error('no token id');
        if (!ObjectId.isValid(payload.sub) || !/^[0-9a-f]{24}$/i.test(payload.sub)) throw new Error('bad subject');
        const claims: TokenClaims = Object.freeze({
          userId: payload.sub,
          userObjectId: new ObjectId(payload.sub),
          jti: payload.jti,
          issuedAtMs: Math.round(payload.iat * 1000),
          expiresAtMs: Math.round(payload.exp * 1000),
        });
        // A token that is not valid yet (`nbf`) is not ours to remember: verify it every time.
        if (payload.nbf === undefined) verified.set(token, claims, payload.exp);
        return claims;
      } catch (err) {
        const expired = err instanceof jwt.TokenExpiredError;
        throw new UnauthorizedError(expired ? 'Token expired' : 'Invalid token');
      }
    },
  };
  return service;
}

/**
 * The claims of tokens already verified, by the exact token string, until their `exp`. Only the
 * signature check and claim parsing are saved: revocation is judged on every request.
 */
function createVerifiedTokens(max: number) {
  const entries = new Map<string, { claims: TokenClaims; exp: number }>();
  return {
    get(token: string): TokenClaims | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      entries.delete(token);
      // jsonwebtoken's own test: expired once the current whole second reaches `exp`.
      if (Math.floor(Date.now() / 1000) >= entry.exp) return undefined;
      entries.set(token, entry);
      return entry.claims;
    },
    set(token: string, claims: TokenClaims, exp: number): void {
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(token, { claims, exp });
    },
  };
}
