import type { LlmUsage } from './llm-provider';

/** USD per one million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

export type PriceTable = Record<string, ModelPrice>;

/**
 * OpenAI list prices (standard tier, USD per 1M tokens) as last known; check them against the
 * provider's pricing page before relying on them, and override through the provider's
 * `prices` option. Cached-input discounts are ignored, so a cost is an upper bound.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'o4-mini': { input: 1.1, output: 4.4 },
};

/** Providers answer with dated snapshots (`gpt-5-mini-2025-08-07`) of the model that was asked for. */
const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

/** The price of `model`, trying each name in turn, exactly and then without a snapshot date. */
export function findPrice(table: PriceTable, ...models: string[]): ModelPrice | null {
  // Own keys only: a model named "constructor" must not find Object.prototype's.
  const lookup = (name: string) => (Object.hasOwn(table, name) ? table[name] : undefined);
  for (const model of models) {
    const price = lookup(model) ?? lookup(model.replace(SNAPSHOT_SUFFIX, ''));
    if (price) return price;
  }
  return null;
}

/** Cost of one call in USD, rounded to a millionth of a dollar so sums stay readable. */
export function costOf(usage: LlmUsage, price: ModelPrice): number {
  const usd = (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
  return Math.round(usd * 1_000_000) / 1_000_000;
}
