/**
 * The one seam to language models (issue 23): OpenAI, Anthropic and any OpenAI-compatible base URL
 * (Ollama, vLLM, LM Studio, a company gateway) behind one small interface. Implementations:
 * `openai.provider.ts` (also the compatible kind) and `anthropic.provider.ts`, built by
 * `createAiProvider`; `provider.contract.ts` is the suite every implementation passes against the
 * fake LLM server (`packages/fake-llm`).
 */

export type AiProviderKind = 'openai' | 'anthropic' | 'openai_compatible';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  /** Our instructions. Customer text never goes here: it is always a `user` message. */
  system: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  /** Called with each piece of text as it arrives; when given, the call streams. */
  onDelta?: (text: string) => void;
  /** Aborting rejects the call with the signal's reason (as fetch does), not an `AiProviderError`. */
  signal?: AbortSignal;
}

export interface ChatResult {
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** The model that answered, as the provider named it. */
  model: string;
  latencyMs: number;
}

/** Why a call failed, in the terms the caller acts on (retry, open the breaker, tell the admin). */
export type AiErrorKind =
  | 'timeout'
  | 'rate_limited'
  | 'auth'
  | 'bad_request'
  | 'server'
  | 'network'
  | 'refused_url';

export class AiProviderError extends Error {
  constructor(
    readonly kind: AiErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AiProviderError';
  }
}

export interface AiProvider {
  readonly kind: AiProviderKind;
  /** One chat completion; at most one retry inside; throws `AiProviderError`. */
  chat(req: ChatRequest): Promise<ChatResult>;
}

export interface AiProviderConfig {
  kind: AiProviderKind;
  apiKey: string | null;
  /** null: the provider's public endpoint (required for `openai_compatible`). */
  baseUrl: string | null;
  /** Per attempt. */
  timeoutMs: number;
}
