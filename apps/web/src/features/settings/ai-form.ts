import type { AiSettings, UpdateAiSettingsBody } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';

/** Settings → AI's form: every field as typed (strings for numbers, so an empty box stays empty). */
export interface AiForm {
  provider: AiSettings['provider'];
  model: string;
  base_url: string;
  /** A new key typed; empty keeps the stored one. */
  api_key: string;
  remove_key: boolean;
  daily_token_budget: string;
  price_input_per_mtok: string;
  price_output_per_mtok: string;
  currency: string;
  max_replies_per_contact: string;
  debounce_seconds: string;
  handover_keywords: string;
  handover_team_id: string;
  reply_max_chars: string;
  labels_enabled: boolean;
  labels: string;
  search_language: AiSettings['search_language'];
}

export const toAiForm = (s: AiSettings): AiForm => ({
  provider: s.provider,
  model: s.model,
  base_url: s.base_url ?? '',
  api_key: '',
  remove_key: false,
  daily_token_budget: s.daily_token_budget === null ? '' : String(s.daily_token_budget),
  price_input_per_mtok: String(s.price_input_per_mtok),
  price_output_per_mtok: String(s.price_output_per_mtok),
  currency: s.currency,
  max_replies_per_contact: String(s.max_replies_per_contact),
  debounce_seconds: String(s.debounce_seconds),
  handover_keywords: s.handover_keywords.join(', '),
  handover_team_id: s.handover_team_id ?? '',
  reply_max_chars: String(s.reply_max_chars),
  labels_enabled: s.labels_enabled,
  labels: s.labels.join(', '),
  search_language: s.search_language,
});

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
/** A number box: empty is `null`; what is not a number goes to the server as NaN, which it refuses. */
const num = (s: string) => (s.trim() === '' ? null : Number(s));

/** The PATCH body: only what differs from the stored settings (a key only when one is typed or removed). */
export function changedFields(before: AiSettings, f: AiForm): UpdateAiSettingsBody {
  const after: UpdateAiSettingsBody = {
    provider: f.provider,
    model: f.model.trim(),
    base_url: f.base_url.trim() === '' ? null : f.base_url.trim(),
    daily_token_budget: num(f.daily_token_budget),
    price_input_per_mtok: num(f.price_input_per_mtok) ?? 0,
    price_output_per_mtok: num(f.price_output_per_mtok) ?? 0,
    currency: f.currency.trim().toUpperCase(),
    max_replies_per_contact: num(f.max_replies_per_contact) ?? 0,
    debounce_seconds: num(f.debounce_seconds) ?? 0,
    handover_keywords: list(f.handover_keywords),
    handover_team_id: f.handover_team_id || null,
    reply_max_chars: num(f.reply_max_chars) ?? 0,
    labels_enabled: f.labels_enabled,
    labels: list(f.labels),
    search_language: f.search_language,
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    if (JSON.stringify(v) !== JSON.stringify(before[k as keyof AiSettings])) out[k] = v;
  }
  // A compatible server needs its URL in the same request that chooses it (the server checks both together).
  if (out.provider === 'openai_compatible') out.base_url = after.base_url;
  if (f.api_key.trim()) out.api_key = f.api_key.trim();
  else if (f.remove_key) out.api_key = null;
  return out as UpdateAiSettingsBody;
}

/**
 * Field errors the server sent back with its 400, by field name. Validation paths start with the
 * part of the request (`body`), which is dropped.
 */
export function serverFieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return {};
  const out: Record<string, string> = {};
  for (const d of err.details as { path?: unknown; message?: unknown }[]) {
    if (!Array.isArray(d.path) || typeof d.message !== 'string') continue;
    const path = err.code === 'VALIDATION_FAILED' && d.path[0] === 'body' ? d.path.slice(1) : d.path;
    const key = String(path[0] ?? 'form');
    out[key] ??= d.message;
  }
  return out;
}

/** An amount in a currency, with a plain fallback for a code the browser does not know. */
export const money = (v: number, currency: string) => {
  try {
    return v.toLocaleString(undefined, { style: 'currency', currency, maximumFractionDigits: 4 });
  } catch {
    return `${v.toFixed(4)} ${currency}`;
  }
};
