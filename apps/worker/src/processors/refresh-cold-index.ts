import type { GenerationStore, Logger } from '@vectort/shared';
import { startPeriodic } from './periodic';

export interface ColdIndexRefreshOptions {
  store: GenerationStore;
  logger: Logger;
  /** How often a worker checks whether the index needs its rebuild. @defaultValue 60 s */
  intervalMs?: number;
}

/**
 * Keeps the cold-tier index of the cache complete (see `refreshColdIndex`): checked now and
 * every `intervalMs`; one worker across the fleet rebuilds it when needed. Until the first
 * rebuild ends, misses ask MongoDB's tier as they always did. Returns a stop function that waits
 * for a rebuild in progress.
 */
export function startColdIndexRefresh(options: ColdIndexRefreshOptions): () => Promise<void> {
  const { store, logger } = options;
  return startPeriodic(async () => {
    const started = performance.now();
    try {
      if (await store.refreshColdIndex())
        logger.info('cold_index_rebuilt', { duration_ms: Math.round(performance.now() - started) });
    } catch (err) {
      logger.warn('cold_index_rebuild_failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }, options.intervalMs ?? 60_000);
}
