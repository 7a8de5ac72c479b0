import { type FakeLlm, startFakeLlm } from '@openwaba/fake-llm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUrlGuard } from '../lib/url-guard.ts';
import { type AiContractWorld, aiProviderContract } from './provider.contract.ts';
import type { AiProviderConfig, AiProviderError } from './provider.ts';
import { createAiProvider } from './providers.ts';

let llm: FakeLlm;
const guard = createUrlGuard({ allowPrivate: ['127.0.0.1'] });

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(() => llm?.close());

const KINDS: { name: string; cfg: () => Omit<AiProviderConfig, 'timeoutMs'>; keyLast4: string }[] = [
  {
    name: 'openai',
    cfg: () => ({ kind: 'openai', apiKey: 'sk-test-openai-A1b2', baseUrl: `${llm.url}/v1` }),
    keyLast4: 'A1b2',
  },
  {
    name: 'anthropic',
    cfg: () => ({ kind: 'anthropic', apiKey: 'sk-ant-test-C3d4', baseUrl: llm.url }),
    keyLast4: 'C3d4',
  },
  {
    name: 'openai_compatible (no key)',
    cfg: () => ({ kind: 'openai_compatible', apiKey: null, baseUrl: `${llm.url}/v1` }),
    keyLast4: 'none',
  },
];

for (const k of KINDS) {
  describe(`AiProvider contract: ${k.name}`, () => {
    let world: AiContractWorld;
    beforeAll(() => {
      const withTimeout = (timeoutMs: number) => createAiProvider({ ...k.cfg(), timeoutMs }, { guard });
      world = {
        provider: withTimeout(10_000),
        withTimeout,
        llm,
        model: 'fake-model-1',
        keyLast4: k.keyLast4,
      };
    });
    aiProviderContract(() => world);
  });
}

describe('createAiProvider and the URL guard', () => {
  const req = {
    model: 'm',
    system: 's',
    messages: [{ role: 'user' as const, content: 'hello' }],
    maxTokens: 10,
  };
  const kindOf = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: AiProviderError) => e.kind,
    );

  it('a guard without the allow-list refuses 127.0.0.1, before any attempt', async () => {
    llm.reset();
    for (const kind of ['openai', 'anthropic', 'openai_compatible'] as const) {
      const base = kind === 'anthropic' ? llm.url : `${llm.url}/v1`;
      const ai = createAiProvider(
        { kind, apiKey: 'k-1234', baseUrl: base, timeoutMs: 2000 },
        { guard: createUrlGuard() },
      );
      expect(await kindOf(ai.chat(req))).toBe('refused_url');
    }
    expect(llm.calls()).toHaveLength(0);
  });

  it('a name that resolves to a loopback address is refused at connect time', async () => {
    llm.reset();
    const port = new URL(llm.url).port;
    const lying = createUrlGuard({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    const ai = createAiProvider(
      {
        kind: 'openai_compatible',
        apiKey: null,
        baseUrl: `http://llm.example.com:${port}/v1`,
        timeoutMs: 2000,
      },
      { guard: lying },
    );
    expect(await kindOf(ai.chat(req))).toBe('refused_url');
    expect(llm.calls()).toHaveLength(0);
  });

  it('refuses a base URL that is not http(s), and a compatible kind without one', async () => {
    const ai = createAiProvider(
      { kind: 'openai_compatible', apiKey: null, baseUrl: 'file:///etc/passwd', timeoutMs: 2000 },
      { guard },
    );
    expect(await kindOf(ai.chat(req))).toBe('refused_url');
    expect(() =>
      createAiProvider(
        { kind: 'openai_compatible', apiKey: null, baseUrl: null, timeoutMs: 2000 },
        { guard },
      ),
    ).toThrow(/base URL/);
  });

  it('openai and anthropic without a key fail as auth without calling anyone', async () => {
    llm.reset();
    for (const kind of ['openai', 'anthropic'] as const) {
      const base = kind === 'anthropic' ? llm.url : `${llm.url}/v1`;
      const ai = createAiProvider({ kind, apiKey: null, baseUrl: base, timeoutMs: 2000 }, { guard });
      expect(await kindOf(ai.chat(req))).toBe('auth');
    }
    expect(llm.calls()).toHaveLength(0);
  });

  it('a closed port is a network error', async () => {
    const ai = createAiProvider(
      { kind: 'openai', apiKey: 'k-1234', baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 2000 },
      { guard },
    );
    expect(await kindOf(ai.chat(req))).toBe('network');
  });
});
