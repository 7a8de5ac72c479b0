import { refusalIn } from '../lib/guarded-fetch.ts';
import { AiProviderError } from './provider.ts';

/** The error classes both official SDKs export under the same names. */
export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => Error & { status?: number | undefined; error?: unknown };
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  APIUserAbortError: abstract new (...args: never[]) => Error;
}

/**
 * An SDK's error in the terms the caller acts on. `who` names the provider for a person reading
 * the message; the key is scrubbed from anything the server said (OpenAI echoes a masked key on a
 * 401, so auth messages carry no server text at all).
 */
export function aiErrorOf(
  err: unknown,
  sdk: SdkErrorClasses,
  who: string,
  apiKey: string | null,
  signal?: AbortSignal,
): unknown {
  if (err instanceof AiProviderError) return err;
  // The caller cancelled: it gets its own reason back, as fetch does.
  if (signal?.aborted) return signal.reason;
  const refused = refusalIn(err);
  if (refused) return new AiProviderError('refused_url', `${who}: ${refused.reason}`);
  if (err instanceof sdk.APIConnectionTimeoutError) {
    return new AiProviderError('timeout', `${who} did not answer in time`);
  }
  if (err instanceof sdk.APIConnectionError) {
    return new AiProviderError('network', `Could not reach ${who}: ${scrub(err.message, apiKey)}`);
  }
  if (err instanceof sdk.APIError && typeof err.status === 'number') {
    const status = err.status;
    if (status === 401 || status === 403) {
      return new AiProviderError('auth', `${who} refused the API key (${status})`, status);
    }
    const said = scrub(serverMessage(err), apiKey);
    if (status === 429)
      return new AiProviderError('rate_limited', `${who} is rate limiting: ${said}`, status);
    if (status >= 500) return new AiProviderError('server', `${who} failed (${status}): ${said}`, status);
    return new AiProviderError('bad_request', `${who} refused the request (${status}): ${said}`, status);
  }
  // Neither an SDK error nor ours (a broken stream, a parse error): the connection's fault.
  const message = err instanceof Error ? err.message : String(err);
  return new AiProviderError('network', `${who}: ${scrub(message, apiKey)}`);
}

function serverMessage(err: Error & { error?: unknown }): string {
  const body = err.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const m = body?.error?.message ?? body?.message;
  return (typeof m === 'string' ? m : err.message).slice(0, 500);
}

function scrub(text: string, apiKey: string | null): string {
  return apiKey && apiKey.length >= 4 ? text.split(apiKey).join('***') : text;
}
