import type { PaymentProvider } from './payment-provider';

/**
 * The built-in `test` provider: every charge succeeds at once and no money moves. Used only
 * when `PAYMENT_PROVIDER=test` is set explicitly (npm start and npm test do), whatever NODE_ENV says.
 */
export function createTestPaymentProvider(): PaymentProvider {
  return {
    name: 'test',
    charge: async (request) => ({ status: 'succeeded', reference: `test_${request.purchaseId.toHexString()}` }),
  };
}
