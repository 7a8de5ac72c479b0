import type { TextMatch } from '@openwaba/contracts';
import { RE2JS } from 're2js';

/** Compiled-program size above which a pattern is refused at save time (RE2 counts instructions). */
export const MAX_REGEX_PROGRAM = 2_000;
/** Texts longer than this are matched on their first this-many characters. */
const MAX_INPUT = 4_096;

/**
 * A text as rules compare it: lower case, accents removed (NFD, combining marks dropped), spaces
 * collapsed and trimmed. "  Café  AU lait " → "cafe au lait".
 */
export function normalizeText(s: string): string {
  return s
    .slice(0, MAX_INPUT)
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

const compiled = new Map<string, RE2JS>();

/**
 * A regular expression on RE2's linear-time engine (no backtracking: `(a+)+$` costs what `a+$`
 * does), case insensitive, matched against the normalized text. Throws `RegexProblem` for a
 * pattern RE2 cannot parse (backreferences, lookaround) or one whose program is too large.
 */
export function compileRegex(pattern: string): RE2JS {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  let re: RE2JS;
  try {
    // Accents are removed from the text, so from the pattern's literals too.
    re = RE2JS.compile(pattern.normalize('NFD').replace(/\p{M}+/gu, ''), RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    throw new RegexProblem(`not a supported regular expression: ${(err as Error).message}`);
  }
  if (re.programSize() > MAX_REGEX_PROGRAM) {
    throw new RegexProblem(
      `too costly: its program has ${re.programSize()} steps, at most ${MAX_REGEX_PROGRAM} (use fewer or smaller repeats)`,
    );
  }
  if (compiled.size > 5_000) compiled.clear();
  compiled.set(pattern, re);
  return re;
}
export class RegexProblem extends Error {}

/** Problems of a match's patterns (regex ones compiled), by pattern index: empty when it can be saved. */
export function checkMatch(m: TextMatch): { index: number; message: string }[] {
  if (m.kind !== 'regex') return [];
  const out: { index: number; message: string }[] = [];
  m.patterns.forEach((p, index) => {
    try {
      compileRegex(p);
    } catch (err) {
      if (err instanceof RegexProblem) out.push({ index, message: err.message });
      else throw err;
    }
  });
  return out;
}

/**
 * The first pattern of `m` that one of the candidate texts matches (a message's text, or a button
 * or list reply's id and title), or null. Case and accent insensitive. A regex the engine refuses
 * matches nothing (it was checked when saved).
 */
export function matchText(m: TextMatch, candidates: (string | null | undefined)[]): string | null {
  const texts = candidates.filter((c): c is string => !!c).map(normalizeText);
  if (!texts.length) return null;
  for (const pattern of m.patterns) {
    if (m.kind === 'regex') {
      let re: RE2JS;
      try {
        re = compileRegex(pattern);
      } catch {
        continue;
      }
      if (texts.some((t) => re.matcher(t).find())) return pattern;
      continue;
    }
    const p = normalizeText(pattern);
    if (!p) continue;
    const hit = texts.some((t) =>
      m.kind === 'equals' ? t === p : m.kind === 'starts_with' ? t.startsWith(p) : t.includes(p),
    );
    if (hit) return pattern;
  }
  return null;
}
