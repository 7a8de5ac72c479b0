import type { ContactSettings } from '@openwaba/contracts';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.ts';
import { DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS } from '../keywords.ts';
import { patchContactSettings } from './keyword-settings.ts';
import { decideConsent } from './rule.ts';

const before: ContactSettings = {
  opt_out_keywords: ['STOP', 'BAJA'],
  opt_in_keywords: ['START'],
  stop_confirmation_text: 'You will get no more messages.',
};

describe('patchContactSettings', () => {
  it('changes only what the patch names; null goes back to the built-in lists, "" clears the text', () => {
    expect(patchContactSettings(before, { opt_in_keywords: ['ALTA'] })).toEqual({
      ...before,
      opt_in_keywords: ['ALTA'],
    });
    expect(patchContactSettings(before, { opt_out_keywords: null, stop_confirmation_text: '' })).toEqual({
      opt_out_keywords: [...DEFAULT_OPT_OUT_KEYWORDS],
      opt_in_keywords: ['START'],
      stop_confirmation_text: null,
    });
    expect(patchContactSettings(before, { opt_in_keywords: null }).opt_in_keywords).toEqual([
      ...DEFAULT_OPT_IN_KEYWORDS,
    ]);
  });

  it('refuses, naming each, keywords with nothing to match and words in both lists', () => {
    let caught: unknown;
    try {
      patchContactSettings(before, { opt_in_keywords: ['¡!', 'baja'] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('VALIDATION_FAILED');
    expect((caught as AppError).message).toBe(
      'Invalid keywords: "¡!" has no letters or digits to match; "baja" is also an opt-out keyword',
    );
  });
});

describe('decideConsent', () => {
  it('an opt-out blocks every send; a business-initiated send needs an opt-in; a reply does not', () => {
    expect(decideConsent('opted_out', { businessInitiated: false }).allowed).toBe(false);
    expect(decideConsent('unknown', { businessInitiated: true }).allowed).toBe(false);
    expect(decideConsent('opted_in', { businessInitiated: true }).allowed).toBe(true);
    expect(decideConsent('unknown', { businessInitiated: false }).allowed).toBe(true);
  });
});
