import Anthropic from '@anthropic-ai/sdk';
import { type AiProvider, type AiProviderConfig, AiProviderError, type ChatRequest } from './provider.ts';
import { aiErrorOf } from './sdk-errors.ts';

/** Given explicitly: left out, the SDK would read ANTHROPIC_BASE_URL from the server's environment. */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

/** Anthropic's Messages API through the official SDK. `fetch` is the guarded one from `createAiProvider`. */
export function createAnthropicProvider(cfg: AiProviderConfig, deps: { fetch: typeof fetch }): AiProvider {
  const who = 'Anthropic';
  const client = new Anthropic({
    // A key passed in code keeps the SDK from looking for one in the server's environment or files.
    apiKey: cfg.apiKey ?? 'missing',
    baseURL: cfg.baseUrl ?? ANTHROPIC_BASE_URL,
    timeout: cfg.timeoutMs,
    maxRetries: 1,
    fetch: deps.fetch,
    logLevel: 'off',
  });

  return {
    kind: 'anthropic',
    async chat(req: ChatRequest) {
      if (!cfg.apiKey) throw new AiProviderError('auth', 'No Anthropic API key is set');
      const started = performance.now();
      const body = {
        model: req.model,
        max_tokens: req.maxTokens,
        system: req.system,
        messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      };
      try {
        if (!req.onDelta) {
          const r = await client.messages.create(body, { signal: req.signal });
          return {
            text: r.content.map((b) => (b.type === 'text' ? b.text : '')).join(''),
            inputTokens: r.usage.input_tokens,
            outputTokens: r.usage.output_tokens,
            model: r.model || req.model,
            latencyMs: Math.round(performance.now() - started),
          };
        }
        const stream = await client.messages.create({ ...body, stream: true }, { signal: req.signal });
        let text = '';
        let model = req.model;
        let inputTokens = 0;
        let outputTokens = 0;
        for await (const event of stream) {
          if (event.type === 'message_start') {
            model = event.message.model || model;
            inputTokens = event.message.usage.input_tokens;
            outputTokens = event.message.usage.output_tokens;
          } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
            text += event.delta.text;
            req.onDelta(event.delta.text);
          } else if (event.type === 'message_delta') {
            // Cumulative: the last one is the call's count.
            outputTokens = event.usage.output_tokens;
            if (event.usage.input_tokens != null) inputTokens = event.usage.input_tokens;
          }
        }
        return { text, inputTokens, outputTokens, model, latencyMs: Math.round(performance.now() - started) };
      } catch (err) {
        throw aiErrorOf(err, Anthropic, who, cfg.apiKey, req.signal);
      }
    },
  };
}
