import { createHmac, randomBytes } from 'node:crypto';

/** Prefix of a Standard Webhooks secret; the rest is the base64 signing key. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Random bytes in a new secret's key (the spec asks for 24 to 64). */
const SECRET_KEY_BYTES = 32;

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(SECRET_KEY_BYTES).toString('base64')}`;
}

/** The HMAC key of a secret: its base64 part, decoded. */
export function webhookSigningKey(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('A webhook secret starts with whsec_');
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
}

export interface WebhookSignatureInput {
  /** The `webhook-id`: the same on every retry of one event. */
  id: string;
  /** Unix seconds, sent as `webhook-timestamp`. */
  timestamp: number;
  /** The exact bytes sent as the request body. */
  body: string;
  secret: string;
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, per the Standard Webhooks spec. */
export function signWebhook(input: WebhookSignatureInput): string {
  const mac = createHmac('sha256', webhookSigningKey(input.secret))
    .update(`${input.id}.${input.timestamp}.${input.body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers for one delivery attempt. */
export function webhookHeaders(
  input: WebhookSignatureInput,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signWebhook(input),
  };
}
