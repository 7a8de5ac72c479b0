/**
 * Opt-out and opt-in keywords read in inbound messages. A message is a keyword only when the whole
 * message is one (so "stop please" or "don't stop" is not): case, accents, punctuation, symbols and
 * spacing do not matter ("Stop!", " arrêt ", "STOP-ALL", "🛑 stop").
 */

/** STOP-type words in English and the languages our users' customers write most. */
export const DEFAULT_OPT_OUT_KEYWORDS = [
  'STOP',
  'STOP ALL',
  'STOPALL',
  'STOP PROMOTIONS',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'OPT OUT',
  'OPTOUT',
  // es / pt
  'PARAR',
  'BAJA',
  'CANCELAR',
  // fr
  'ARRÊT',
  'ARRÊTER',
  'DÉSABONNER',
  // de / nordic
  'STOPP',
  'ABMELDEN',
  // it
  'DISISCRIVITI',
] as const;

export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'SUBSCRIBE'] as const;

/**
 * The comparable form of a message or keyword: accents removed, upper case, every run of
 * non-letters and non-digits one space, trimmed.
 *
 * @example normalizeKeyword('  Arrêt! ') // 'ARRET'
 * @example normalizeKeyword('stop-all') // 'STOP ALL'
 */
export function normalizeKeyword(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Longer messages cannot be a keyword (settings cap a keyword at 40 characters). */
export const MAX_KEYWORD_LENGTH = 40;

/**
 * What a message says about consent, given the organisation's lists (null: the built-in ones).
 *
 * @example matchConsentKeyword('Stop.', { optOut: null, optIn: null }) // 'opt_out'
 * @example matchConsentKeyword('stop please', { optOut: null, optIn: null }) // null
 */
export function matchConsentKeyword(
  text: string,
  lists: { optOut: readonly string[] | null; optIn: readonly string[] | null },
): 'opt_out' | 'opt_in' | null {
  if (text.length > MAX_KEYWORD_LENGTH * 4) return null;
  const said = normalizeKeyword(text);
  if (!said || said.length > MAX_KEYWORD_LENGTH) return null;
  const has = (list: readonly string[]) => list.some((k) => normalizeKeyword(k) === said);
  // Opt-out first: if a word is on both lists, the customer is left alone.
  if (has(lists.optOut ?? DEFAULT_OPT_OUT_KEYWORDS)) return 'opt_out';
  if (has(lists.optIn ?? DEFAULT_OPT_IN_KEYWORDS)) return 'opt_in';
  return null;
}
