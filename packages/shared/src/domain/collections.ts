/** MongoDB collection names, in one place so API and worker agree. */
export const Collections = {
  users: 'users',
  projects: 'projects',
  generations: 'generations',
  /** The cache's MongoDB tier: cache key → generation (see generation-store.ts). */
  cacheEntries: 'cache_entries',
  jobs: 'jobs',
  exports: 'exports',
  creditLedger: 'credit_ledger',
  purchases: 'purchases',
  webhookDeliveries: 'webhook_deliveries',
  webhookSecrets: 'webhook_secrets',
} as const;
