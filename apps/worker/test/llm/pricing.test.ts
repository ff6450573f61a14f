import { costOf, DEFAULT_PRICES, findPrice } from '../../src/llm/pricing';

describe('pricing', () => {
  it('finds a model exactly, by its dated snapshot, or by a later name', () => {
    expect(findPrice(DEFAULT_PRICES, 'gpt-5-mini')).toEqual({ input: 0.25, output: 2 });
    expect(findPrice(DEFAULT_PRICES, 'gpt-5-mini-2025-08-07')).toEqual({ input: 0.25, output: 2 });
    expect(findPrice(DEFAULT_PRICES, 'unknown-model', 'gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 });
  });

  it('knows no price for unknown names, including Object.prototype keys', () => {
    expect(findPrice(DEFAULT_PRICES, 'llama3')).toBeNull();
    expect(findPrice(DEFAULT_PRICES, 'constructor', 'toString', '__proto__')).toBeNull();
  });

  it('costs tokens per million, rounded to a millionth of a dollar', () => {
    expect(costOf({ prompt_tokens: 1_000_000, completion_tokens: 500_000 }, { input: 0.25, output: 2 })).toBe(1.25);
    expect(costOf({ prompt_tokens: 1200, completion_tokens: 3400 }, { input: 0.25, output: 2 })).toBe(0.0071);
    expect(costOf({ prompt_tokens: 1, completion_tokens: 0 }, { input: 0.1, output: 0 })).toBe(0);
  });
});
