const SECRET_KEY = /(authorization|password|passwd|secret|token|api[-_]?key|cookie|credential|signature)/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
// Credentials inside connection strings: scheme://user:password@host. Passwords are often
// pasted unencoded, with `/`, `?`, `#`, `:` or even `@` in them, so the password runs to the
// last `@` before whitespace: a path or query holding an `@` is over-masked rather than a
// password leaked.
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):(\S*)@/gi;

export const REDACTED = '[REDACTED]';

/** Whether a value under `key` is a secret as a whole (Authorization, password, api key…). */
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key);

/** `value` with bearer/basic credentials and passwords inside URLs masked. */
export function redactString(value: string): string {
  // Both patterns need one of these literally (BEARER is case-sensitive): most strings have none.
  if (!value.includes('://') && !value.includes('Bearer') && !value.includes('Basic')) return value;
  return value.replace(BEARER, `$1 ${REDACTED}`).replace(URL_CREDENTIALS, `$1$2:${REDACTED}@`);
}

/**
 * Returns a copy of `value` with secrets masked: values under keys that name a secret
 * (authorization, password, token, secret, api key, cookie…), bearer/basic credentials and
 * passwords inside URLs. Numbers under such keys (token counts) are kept. Depth-limited so a cyclic or huge object cannot stall logging.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), stack: value.stack && redactString(value.stack) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && (typeof v === 'string' || (typeof v === 'object' && v !== null))
        ? REDACTED
        : redact(v, depth + 1);
  }
  return out;
}
