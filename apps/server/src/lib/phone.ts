import { type CountryCode, ParseError, parsePhoneNumberWithError } from 'libphonenumber-js/max';

export type PhoneResult =
  | {
      ok: true;
      e164: string /** digits without `+`: WhatsApp's `wa_id` */;
      waId: string;
      country: string | null;
    }
  | { ok: false; reason: string };

/**
 * Turns what a person typed (local formats, `+`, `00`, spaces, dashes, brackets) into E.164, read in
 * the organisation's default region, and checks it against the allowed countries (empty: any).
 *
 * @example
 * normalizePhone('020 7946 0958', { defaultRegion: 'GB' }) // { ok: true, e164: '+442079460958', … }
 */
export function normalizePhone(
  input: string,
  opts: { defaultRegion: string; allowedCountries?: readonly string[] },
): PhoneResult {
  const raw = String(input ?? '').trim();
  if (!raw) return { ok: false, reason: 'empty phone number' };
  if (raw.length > 40) return { ok: false, reason: 'too long to be a phone number' };
  if (/[a-z]/i.test(raw.replace(/\s*(ext\.?|x)\s*\d+$/i, ''))) {
    return { ok: false, reason: 'contains letters' };
  }
  // International prefix 00 is how much of the world writes "+".
  const text = raw.replace(/^\s*00(?=[1-9])/, '+');
  try {
    const p = parsePhoneNumberWithError(text, { defaultCountry: opts.defaultRegion as CountryCode });
    if (!p.isValid())
      return { ok: false, reason: `not a valid number${p.country ? ` for ${p.country}` : ''}` };
    const country = p.country ?? null;
    const allowed = opts.allowedCountries ?? [];
    if (allowed.length && (!country || !allowed.includes(country))) {
      return {
        ok: false,
        reason: `country ${country ?? 'unknown'} is not allowed (allowed: ${allowed.join(', ')})`,
      };
    }
    return { ok: true, e164: p.number, waId: p.number.slice(1), country };
  } catch (err) {
    if (err instanceof ParseError) {
      const why: Record<string, string> = {
        INVALID_COUNTRY: 'no country code and no default region',
        NOT_A_NUMBER: 'not a phone number',
        TOO_SHORT: 'too short',
        TOO_LONG: 'too long',
        INVALID_LENGTH: 'wrong length',
      };
      return { ok: false, reason: why[err.message] ?? err.message };
    }
    throw err;
  }
}
