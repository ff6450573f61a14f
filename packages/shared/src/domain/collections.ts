/** MongoDB collection names, in one place so API and worker agree. */
export const Collections = {
  users: 'users',
  projects: 'projects',
  generations: 'generations',
  jobs: 'jobs',
  exports: 'exports',
  creditLedger: 'credit_ledger',
  purchases: 'purchases',
  webhookDeliveries: 'webhook_deliveries',
  webhookSecrets: 'webhook_secrets',
} as const;
