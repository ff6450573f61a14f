import { DEFAULT_JOB_OPTIONS, WEBHOOK_ATTEMPTS, webhookRetryDelayMs } from '@vectort/shared';

const HOUR = 3_600_000;

describe('webhook retry schedule', () => {
  const delays = (base: number, id: string) =>
    Array.from({ length: WEBHOOK_ATTEMPTS - 1 }, (_, i) => webhookRetryDelayMs(i + 1, base, id));

  it('makes at least 8 attempts spanning at least 24 h with the default base, whatever the jitter', () => {
    expect(DEFAULT_JOB_OPTIONS.webhook.attempts).toBe(WEBHOOK_ATTEMPTS);
    expect(WEBHOOK_ATTEMPTS).toBeGreaterThanOrEqual(8);
    for (let i = 0; i < 200; i++) {
      const d = delays(10_000, `msg_${i}`);
      // Attempt 8 is 7 retries in; the whole run is longer still.
      const total = d.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(24 * HOUR);
      expect(total).toBeLessThanOrEqual(48 * HOUR);
    }
  });

  it('grows 4x per retry up to a cap, with 0-25 % jitter that differs between events', () => {
    const nominal = [10, 40, 160, 640, 2560, 10240, 40960, 40960, 40960].map((s) => s * 1000);
    const a = delays(10_000, 'msg_a');
    const b = delays(10_000, 'msg_b');
    a.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(nominal[i]!);
      expect(d).toBeLessThan(nominal[i]! * 1.25 + 1);
    });
    expect(a).not.toEqual(b);
    // Deterministic per event and retry: the worker records the same delay BullMQ will use.
    expect(delays(10_000, 'msg_a')).toEqual(a);
  });

  it('scales with the base, so tests can run the schedule in milliseconds', () => {
    expect(webhookRetryDelayMs(1, 50, 'msg_x')).toBeGreaterThanOrEqual(50);
    expect(webhookRetryDelayMs(1, 50, 'msg_x')).toBeLessThan(63);
    expect(webhookRetryDelayMs(2, 50, 'msg_x')).toBeGreaterThanOrEqual(200);
  });
});
