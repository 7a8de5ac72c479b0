import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { type AiProvider, type AiProviderConfig, AiProviderError, type ChatRequest } from './provider.ts';
import { aiErrorOf } from './sdk-errors.ts';

/** Given explicitly: left out, the SDK would read OPENAI_BASE_URL from the server's environment. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * OpenAI and any OpenAI-compatible server (Ollama, vLLM, LM Studio, a gateway) through the official
 * SDK. `fetch` is the guarded one from `createAiProvider`.
 */
export function createOpenAiProvider(cfg: AiProviderConfig, deps: { fetch: typeof fetch }): AiProvider {
  const compatible = cfg.kind === 'openai_compatible';
  const who = compatible ? 'The OpenAI-compatible server' : 'OpenAI';
  // Local servers ignore the key, but the SDK insists on one.
  const apiKey = cfg.apiKey ?? (compatible ? 'none' : null);
  const client = new OpenAI({
    apiKey: apiKey ?? 'missing',
    baseURL: cfg.baseUrl ?? OPENAI_BASE_URL,
    // null, not undefined: the SDK reads the server's environment for anything left out.
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: cfg.timeoutMs,
    maxRetries: 1,
    fetch: deps.fetch,
    logLevel: 'off',
  });

  return {
    kind: cfg.kind,
    async chat(req: ChatRequest) {
      if (!apiKey) throw new AiProviderError('auth', 'No OpenAI API key is set');
      const started = performance.now();
      const messages: ChatCompletionMessageParam[] = [
        { role: 'system', content: req.system },
        ...req.messages.map((m) => ({ role: m.role, content: m.content })),
      ];
      const body = {
        model: req.model,
        messages,
        // OpenAI's newer models refuse max_tokens; compatible servers often know nothing else.
        ...(compatible ? { max_tokens: req.maxTokens } : { max_completion_tokens: req.maxTokens }),
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      };
      try {
        if (!req.onDelta) {
          const r = await client.chat.completions.create(body, { signal: req.signal });
          const text = r.choices[0]?.message.content ?? '';
          return {
            text,
            inputTokens: r.usage?.prompt_tokens ?? estimateTokens(req.system, req.messages),
            outputTokens: r.usage?.completion_tokens ?? estimateTokens(text),
            model: r.model || req.model,
            latencyMs: Math.round(performance.now() - started),
          };
        }
        const stream = await client.chat.completions.create(
          { ...body, stream: true, stream_options: { include_usage: true } },
          { signal: req.signal },
        );
        let text = '';
        let model = req.model;
        let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
        for await (const chunk of stream) {
          if (chunk.model) model = chunk.model;
          if (chunk.usage) usage = chunk.usage;
          const piece = chunk.choices[0]?.delta?.content;
          if (piece) {
            text += piece;
            req.onDelta(piece);
          }
        }
        return {
          text,
          // A compatible server may ignore include_usage: an estimate beats counting nothing.
          inputTokens: usage?.prompt_tokens ?? estimateTokens(req.system, req.messages),
          outputTokens: usage?.completion_tokens ?? estimateTokens(text),
          model,
          latencyMs: Math.round(performance.now() - started),
        };
      } catch (err) {
        throw aiErrorOf(err, OpenAI, who, apiKey, req.signal);
      }
    },
  };
}

/** About four characters a token: only when the server reported no usage. */
function estimateTokens(...parts: (string | { content: string }[])[]): number {
  const chars = parts.reduce(
    (n, p) => n + (typeof p === 'string' ? p.length : p.reduce((m, x) => m + x.content.length, 0)),
    0,
  );
  return Math.max(1, Math.ceil(chars / 4));
}
