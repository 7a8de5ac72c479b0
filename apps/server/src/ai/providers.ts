import { type Agent, fetch as undiciFetch } from 'undici';
import { createGuardedDispatcher } from '../lib/guarded-fetch.ts';
import { type UrlGuard, UrlRefusedError } from '../lib/url-guard.ts';
import { ANTHROPIC_BASE_URL, createAnthropicProvider } from './anthropic.provider.ts';
import { createOpenAiProvider, OPENAI_BASE_URL } from './openai.provider.ts';
import { type AiProvider, type AiProviderConfig, AiProviderError } from './provider.ts';

/**
 * The provider an organisation configured. Its base URL is theirs to choose, so every connection
 * goes through the guard (docs/adr/0012): refused addresses surface as `refused_url`.
 *
 * @example
 * const ai = createAiProvider({ kind: 'openai_compatible', apiKey: null, baseUrl: 'http://ollama.example:11434/v1', timeoutMs: 20_000 }, { guard });
 * const r = await ai.chat({ model: 'llama3.2', system, messages, maxTokens: 300 });
 */
export function createAiProvider(cfg: AiProviderConfig, deps: { guard: UrlGuard }): AiProvider {
  if (cfg.kind === 'openai_compatible' && !cfg.baseUrl) {
    throw new AiProviderError('bad_request', 'An OpenAI-compatible provider needs a base URL');
  }
  const baseUrl = cfg.baseUrl ?? (cfg.kind === 'anthropic' ? ANTHROPIC_BASE_URL : OPENAI_BASE_URL);
  const fetch = guardedSdkFetch(deps.guard);
  const inner =
    cfg.kind === 'anthropic' ? createAnthropicProvider(cfg, { fetch }) : createOpenAiProvider(cfg, { fetch });
  return {
    kind: cfg.kind,
    chat(req) {
      // Judged from the text first: a refused base URL costs no attempt, no retry, no wait.
      const verdict = deps.guard.precheck(baseUrl);
      if (!verdict.ok) {
        return Promise.reject(new AiProviderError('refused_url', `The AI base URL ${verdict.reason}`));
      }
      return inner.chat(req);
    },
  };
}

/** One pool per guard (the server has one): providers are built per call, their sockets are shared. */
const dispatchers = new WeakMap<UrlGuard, Agent>();

/**
 * The fetch the SDKs are given: undici's, on the guard's dispatcher. IP literals skip the socket's
 * lookup, so each request's URL is prechecked too; redirects are not followed (an API does not
 * redirect, and a followed hop would skip that precheck).
 */
/** Connections to one model endpoint at once, per process. */
const MODEL_CONNECTIONS = 512;

function guardedSdkFetch(guard: UrlGuard): typeof fetch {
  let dispatcher = dispatchers.get(guard);
  if (!dispatcher) {
    // A model call holds its connection for seconds (the whole generation): auto mode answering
    // hundreds of conversations at once needs that many connections to one provider, not a
    // webhook-sized pool (16 would answer 16 a second at a 1 s model). Providers' own rate limits
    // answer 429, handled as such.
    dispatcher = createGuardedDispatcher(guard, { connections: MODEL_CONNECTIONS });
    dispatchers.set(guard, dispatcher);
  }
  const agent = dispatcher;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const verdict = guard.precheck(url);
    if (!verdict.ok) throw new UrlRefusedError('the AI base URL', verdict.reason);
    const res = await undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      redirect: 'manual',
      dispatcher: agent,
    });
    return res as unknown as Response;
  };
}
