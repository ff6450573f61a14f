import { createHash } from 'node:crypto';

/** Attempts per event, the first included. */
export const WEBHOOK_ATTEMPTS = 10;

/** The BullMQ backoff type of webhook jobs; the worker maps it to {@link webhookRetryDelayMs}. */
export const WEBHOOK_BACKOFF_TYPE = 'webhook';

/** Retry delays grow 4x per attempt up to this power, then stay there. */
const MAX_EXPONENT = 6;
/** Upward jitter: each delay is stretched by 0..25 %. */
const JITTER = 0.25;

/**
 * The delay before retry `retry` (1 = the retry after the first failed attempt):
 * `baseMs × 4^min(retry − 1, 6) × (1 + jitter)`, jitter in [0, 0.25).
 *
 * With the default base of 10 s the nominal schedule is
 * 10 s, 40 s, 2 min 40 s, 10 min 40 s, 42 min 40 s, 2 h 51 min, 11 h 23 min, 11 h 23 min, 11 h 23 min:
 * attempt 9 comes about 26.8 h after the first and attempt 10 about 37.9 h after it (up to 25 %
 * later with jitter), so {@link WEBHOOK_ATTEMPTS} attempts span well over 24 h. Jitter only
 * lengthens delays, so that floor holds whatever the draw.
 *
 * The jitter is drawn from a hash of the webhook id and the retry number, not `Math.random()`:
 * events of different jobs still spread out, and the worker can record `next_attempt_at`
 * before BullMQ computes the very same delay.
 */
export function webhookRetryDelayMs(retry: number, baseMs: number, webhookId: string): number {
  const exponent = Math.min(Math.max(retry, 1) - 1, MAX_EXPONENT);
  const draw = createHash('sha256').update(`${webhookId}:${retry}`).digest().readUInt32BE(0) / 0x1_0000_0000;
  return Math.round(baseMs * 4 ** exponent * (1 + JITTER * draw));
}
