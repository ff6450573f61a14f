import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import {
  generateWebhookSecret,
  signWebhook,
  webhookEventType,
  webhookHeaders,
  webhookId,
  webhookSigningKey,
} from '@vectort/shared';

describe('webhook signing', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(webhookSigningKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('signs so that the standardwebhooks package verifies, and a wrong secret or a changed body fails', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({
      type: 'generation.completed',
      timestamp: new Date().toISOString(),
      data: { job_id: 'x' },
    });
    const headers = webhookHeaders({ id: 'msg_abc', timestamp: Math.floor(Date.now() / 1000), body, secret });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(body.replace('x', 'y'), headers)).toThrow(WebhookVerificationError);
  });

  it('matches the spec example vector', () => {
    // From the Standard Webhooks spec's test vectors.
    const signature = signWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('derives one stable id per job and event, without ":" or "."', () => {
    const id = webhookId('6650f0c2a1b2c3d4e5f60718', webhookEventType('generate', 'completed'));
    expect(id).toBe('msg_6650f0c2a1b2c3d4e5f60718_generation_completed');
    expect(webhookId('6650f0c2a1b2c3d4e5f60718', webhookEventType('export', 'failed'))).toBe(
      'msg_6650f0c2a1b2c3d4e5f60718_export_failed',
    );
    expect(id).not.toMatch(/[:.]/);
  });
});
