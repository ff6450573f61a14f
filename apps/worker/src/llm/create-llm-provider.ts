import type { Config } from '@vectort/shared';
import type { LlmProvider } from './llm-provider';
import { createOfflineProvider } from './offline-provider';
import { createOpenAiProvider, type OpenAiProviderOptions } from './openai-provider';

/**
 * The provider the configuration names. `extra` carries what the config does not hold
 * (retries, a logger).
 */
export function createLlmProvider(
  cfg: Config['llm'],
  extra: Pick<OpenAiProviderOptions, 'maxRetries' | 'prices' | 'logger'> = {},
): LlmProvider {
  if (cfg.provider === 'offline') return createOfflineProvider({ chunkMs: cfg.offlineChunkMs });
  if (!cfg.apiKey) throw new Error('LLM provider "openai" needs an API key (OPENAI_API_KEY)');
  return createOpenAiProvider({
    apiKey: cfg.apiKey,
    baseUrl: cfg.baseUrl,
    model: cfg.model,
    timeoutMs: cfg.timeoutSeconds * 1000,
    prices: cfg.prices,
    maxOutputTokens: cfg.maxOutputTokens,
    ...extra,
  });
}
