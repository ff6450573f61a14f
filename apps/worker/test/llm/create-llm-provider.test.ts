import { startFakeLlm } from '../../../../test/support/fake-llm-server';
import { createLlmProvider } from '../../src/llm/create-llm-provider';

const req = { description: 'A habit tracker', framework: 'html', type: 'web_app' } as const;

describe('createLlmProvider', () => {
  it('gives the offline provider when the config says offline', async () => {
    const provider = createLlmProvider({ provider: 'offline', model: 'gpt-5-mini', timeoutSeconds: 120 });
    expect(provider.name).toBe('offline');
    expect((await provider.generate(req)).provider).toBe('offline');
  });

  it('gives an openai provider that calls the configured base URL and model', async () => {
    const llm = await startFakeLlm();
    try {
      const provider = createLlmProvider({
        provider: 'openai',
        apiKey: 'k',
        baseUrl: llm.url,
        model: 'gpt-4o-mini',
        timeoutSeconds: 5,
      });
      expect(provider.name).toBe('openai');
      const result = await provider.generate(req);
      expect(result).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', cost_known: true });
      expect(llm.calls).toBe(1);
    } finally {
      await llm.close();
    }
  });

  it('refuses openai without an API key', () => {
    expect(() => createLlmProvider({ provider: 'openai', model: 'm', timeoutSeconds: 5 })).toThrow(/API key/);
  });
});
