import type { PaymentProvider } from './payment-provider';

/**
 * The built-in `test` provider: every charge succeeds at once and no money moves. The default
 * outside production; production uses it only when `PAYMENT_PROVIDER=test` is set explicitly.
 */
export function createTestPaymentProvider(): PaymentProvider {
  return {
    name: 'test',
    charge: async (request) => ({ status: 'succeeded', reference: `test_${request.purchaseId.toHexString()}` }),
  };
}
