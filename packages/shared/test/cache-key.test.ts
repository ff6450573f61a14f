import { cacheKey, normalizeDescription } from '../src/domain/cache-key';
import { generatorVersion, PROMPT_VERSION } from '../src/domain/generation';

const v = generatorVersion({ provider: 'openai', model: 'gpt-5-mini' });

describe('cache key', () => {
  it('normalises case, outer and inner whitespace, and Unicode compatibility forms', () => {
    expect(normalizeDescription('  Todo   App \n')).toBe('todo app');
    expect(normalizeDescription('Ｔｏｄｏ\u00a0app')).toBe('todo app');
    expect(normalizeDescription('ﬁle manager')).toBe('file manager');
  });

  it('gives the same key for variants of one request, a 64-hex SHA-256', () => {
    const a = cacheKey({ description: '  Todo   App ', framework: 'react', type: 'web_app' }, v);
    const b = cacheKey({ description: 'todo app', framework: 'react', type: 'web_app' }, v);
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with framework, type, prompt version, provider and model', () => {
    const base = { description: 'todo app', framework: 'react', type: 'web_app' } as const;
    const keys = new Set([
      cacheKey(base, v),
      cacheKey({ ...base, framework: 'vue' }, v),
      cacheKey({ ...base, type: 'api' }, v),
      cacheKey(base, generatorVersion({ provider: 'openai', model: 'gpt-5' })),
      cacheKey(base, generatorVersion({ provider: 'offline', model: 'gpt-5-mini' })),
      cacheKey(base, `${PROMPT_VERSION}-next:openai:gpt-5-mini`),
    ]);
    expect(keys.size).toBe(6);
  });

  it('cannot be confused by separators inside the description', () => {
    const a = cacheKey({ description: 'a","react', framework: 'react', type: 'web_app' }, v);
    const b = cacheKey({ description: 'a', framework: 'react', type: 'web_app' }, v);
    expect(a).not.toBe(b);
  });
});
