import type { Config, Logger } from '@vectort/shared';
import type { PaymentProvider } from './payment-provider';
import { createTestPaymentProvider } from './test-payment-provider';

/** The configured provider, or `null` when none is (purchases then answer 503). */
export function createPaymentProvider(
  config: Pick<Config, 'nodeEnv' | 'payments'>,
  logger: Logger,
): PaymentProvider | null {
  switch (config.payments.provider) {
    case 'test':
      if (config.nodeEnv === 'production') {
        logger.warn('payment_test_provider_in_production', {
          detail: 'PAYMENT_PROVIDER=test: credit purchases are granted without payment',
        });
      }
      return createTestPaymentProvider();
    case undefined:
      return null;
  }
}
