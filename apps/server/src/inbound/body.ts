export type Json = Record<string, unknown>;

/** A UTF-16 surrogate without its other half: JSON may escape one, PostgreSQL's json refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A string PostgreSQL can store: NUL dropped, a lone surrogate replaced by U+FFFD. */
export const cleanText = (s: string) => s.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');

/**
 * PostgreSQL refuses U+0000 and lone surrogates in text and jsonb: a customer's text or name carrying
 * one would fail the whole event on every retry. Meta sends them escaped (`\u0000`, `\ud800`); NUL is
 * dropped from every string and a lone surrogate becomes U+FFFD.
 */
function cleanStrings(v: unknown): unknown {
  if (typeof v === 'string') return cleanText(v);
  if (Array.isArray(v)) return v.map(cleanStrings);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [cleanText(k), cleanStrings(x)]));
  }
  return v;
}

/**
 * A stored body as JSON, cleaned (most bodies have no escape to clean: parsed once, untouched).
 * Throws when it is not JSON.
 */
export function parseBody(raw: string): unknown {
  const parsed: unknown = JSON.parse(raw);
  return /\\u(0000|[dD][89a-fA-F])/.test(raw) ? cleanStrings(parsed) : parsed;
}

/** A JSON object (not an array, not null). */
export const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The objects of a list in a webhook body: anything else (a list that is not one, `null` items, a
 * string) is left out, so an odd shape skips itself instead of failing its whole batch.
 */
export function objectsOf(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/**
 * When Meta says something happened (`timestamp`: Unix seconds, as a string), in ms. A value that is
 * not a time a date can hold (garbage, or far beyond year 275760) is taken as `now`, not thrown on.
 */
export function epochMsOf(timestamp: unknown, now = Date.now()): number {
  const ms = Number(timestamp ?? 0) * 1000;
  return Number.isFinite(ms) && ms > 0 && ms <= 8.64e15 ? ms : now;
}
