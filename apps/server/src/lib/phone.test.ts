import { describe, expect, it } from 'vitest';
import { normalizePhone } from './phone.ts';

describe('normalizePhone', () => {
  const ok: [string, string, string][] = [
    ['GB', '020 7946 0958', '+442079460958'],
    ['GB', '07911 123456', '+447911123456'],
    ['GB', '+44 7911 123456', '+447911123456'],
    ['GB', '0044 7911 123456', '+447911123456'],
    ['US', '(650) 555-1234', '+16505551234'],
    ['US', '650.555.1234', '+16505551234'],
    ['US', '+1 650 555 1234', '+16505551234'],
    ['DE', '030 123456', '+4930123456'],
    ['IN', '98765 43210', '+919876543210'],
    ['BR', '(11) 91234-5678', '+5511912345678'],
    ['US', '+55 11 91234 5678', '+5511912345678'],
    ['US', '  +1-650-555-1234  ', '+16505551234'],
  ];
  it.each(ok)('%s: %s → %s', (region, input, e164) => {
    const r = normalizePhone(input, { defaultRegion: region });
    expect(r).toMatchObject({ ok: true, e164, waId: e164.slice(1) });
  });

  const bad: [string, string, RegExp][] = [
    ['US', '', /empty/],
    ['US', 'call me', /letters/],
    ['US', '123', /too short|not a valid|not a phone/],
    ['US', '+1 650 555 12345678901', /too long|not a valid/],
    ['GB', '07911 12345', /not a valid|too short|wrong length/],
    ['US', '+999 123 456 789', /country|not a valid|not a phone/],
    ['US', '#@!', /not a phone|too short/],
  ];
  it.each(bad)('%s: %j is rejected (%s)', (region, input, reason) => {
    const r = normalizePhone(input, { defaultRegion: region });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('rejects a valid number from a country that is not allowed, saying which', () => {
    const r = normalizePhone('+5511912345678', { defaultRegion: 'GB', allowedCountries: ['GB', 'IE'] });
    expect(r).toEqual({ ok: false, reason: 'country BR is not allowed (allowed: GB, IE)' });
    expect(
      normalizePhone('+353 85 123 4567', { defaultRegion: 'GB', allowedCountries: ['GB', 'IE'] }),
    ).toMatchObject({
      ok: true,
      country: 'IE',
    });
  });
});
