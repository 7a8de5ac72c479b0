import { describe, expect, it } from 'vitest';
import { closureAt, isOpen, nextChange, type Schedule } from './hours.ts';

const every = (from: string, to: string) =>
  Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ from, to }]]));
const at = (iso: string) => new Date(iso);
const next = (s: Schedule, iso: string, zone: string) => nextChange(s, at(iso), zone)?.toISOString() ?? null;

describe('business hours: weekly intervals and closures', () => {
  const shop: Schedule = {
    weekly: {
      mon: [
        { from: '09:00', to: '12:30' },
        { from: '14:00', to: '18:00' },
      ],
      tue: [{ from: '09:00', to: '18:00' }],
      sat: [{ from: '22:00', to: '24:00' }],
      sun: [{ from: '00:00', to: '02:00' }],
    },
    closures: [
      { date: '2026-12-08', name: 'Staff day', open: [] },
      { date: '2026-12-14', name: 'Short day', open: [{ from: '10:00', to: '11:00' }] },
    ],
  };
  const z = 'Europe/Paris';

  it('several intervals a day, in the schedule’s zone', () => {
    // Monday 2026-12-07, Paris is UTC+1.
    expect(isOpen(shop, at('2026-12-07T07:59:00Z'), z)).toBe(false);
    expect(isOpen(shop, at('2026-12-07T08:00:00Z'), z)).toBe(true);
    expect(isOpen(shop, at('2026-12-07T11:29:59Z'), z)).toBe(true);
    expect(isOpen(shop, at('2026-12-07T11:30:00Z'), z)).toBe(false);
    expect(isOpen(shop, at('2026-12-07T13:00:00Z'), z)).toBe(true);
    expect(next(shop, '2026-12-07T12:00:00Z', z)).toBe('2026-12-07T13:00:00.000Z');
    expect(next(shop, '2026-12-07T13:00:00Z', z)).toBe('2026-12-07T17:00:00.000Z');
    // The same instant in another zone is another local time.
    expect(isOpen(shop, at('2026-12-07T08:30:00Z'), 'America/New_York')).toBe(false);
  });

  it('closures by date: closed all day, or special hours; nextChange skips them', () => {
    expect(isOpen(shop, at('2026-12-08T10:00:00Z'), z)).toBe(false);
    expect(closureAt(shop, at('2026-12-08T10:00:00Z'), z)?.name).toBe('Staff day');
    // Monday 7th closes at 18:00; Tuesday 8th is closed; next opening is Saturday 12th 22:00.
    expect(next(shop, '2026-12-07T17:30:00Z', z)).toBe('2026-12-12T21:00:00.000Z');
    // Monday the 14th has special hours 10:00–11:00 only.
    expect(isOpen(shop, at('2026-12-14T08:30:00Z'), z)).toBe(false);
    expect(isOpen(shop, at('2026-12-14T09:30:00Z'), z)).toBe(true);
    expect(next(shop, '2026-12-14T09:30:00Z', z)).toBe('2026-12-14T10:00:00.000Z');
  });

  it('an opening across midnight (Saturday 22:00–24:00, Sunday 00:00–02:00) is one stretch', () => {
    expect(isOpen(shop, at('2026-12-12T22:59:00Z'), z)).toBe(true); // Sat 23:59
    expect(isOpen(shop, at('2026-12-12T23:00:00Z'), z)).toBe(true); // Sun 00:00
    expect(next(shop, '2026-12-12T21:30:00Z', z)).toBe('2026-12-13T01:00:00.000Z');
  });

  it('no change within the horizon → null (always open, never open)', () => {
    expect(next({ weekly: every('00:00', '24:00'), closures: [] }, '2026-12-07T12:00:00Z', z)).toBeNull();
    expect(next({ weekly: {}, closures: [] }, '2026-12-07T12:00:00Z', z)).toBeNull();
  });
});

describe('business hours on the days clocks change', () => {
  const night: Schedule = { weekly: { sun: [{ from: '01:00', to: '03:00' }] }, closures: [] };
  const office: Schedule = { weekly: every('09:00', '17:00'), closures: [] };

  it('Europe/London 2026-03-29 (01:00 GMT → 02:00 BST): 01:00–03:00 opens when clocks jump, closes at 03:00 BST', () => {
    const z = 'Europe/London';
    expect(isOpen(night, at('2026-03-29T00:59:00Z'), z)).toBe(false);
    expect(next(night, '2026-03-29T00:30:00Z', z)).toBe('2026-03-29T01:00:00.000Z');
    expect(isOpen(night, at('2026-03-29T01:00:00Z'), z)).toBe(true); // 02:00 BST
    expect(isOpen(night, at('2026-03-29T01:59:00Z'), z)).toBe(true);
    expect(next(night, '2026-03-29T01:00:00Z', z)).toBe('2026-03-29T02:00:00.000Z'); // 03:00 BST
    expect(isOpen(night, at('2026-03-29T02:00:00Z'), z)).toBe(false);
    // "Open at 09:00 local": 09:00 UTC the day before, 08:00 UTC from the change on.
    expect(next(office, '2026-03-28T06:00:00Z', z)).toBe('2026-03-28T09:00:00.000Z');
    expect(next(office, '2026-03-28T18:00:00Z', z)).toBe('2026-03-29T08:00:00.000Z');
    expect(next(office, '2026-03-30T06:00:00Z', z)).toBe('2026-03-30T08:00:00.000Z');
    expect(next(office, '2026-03-29T08:00:00Z', z)).toBe('2026-03-29T16:00:00.000Z');
  });

  it('Europe/London 2026-10-25 (02:00 BST → 01:00 GMT): 01:00–03:00 lasts three hours, the repeated hour open both times', () => {
    const z = 'Europe/London';
    expect(next(night, '2026-10-24T23:30:00Z', z)).toBe('2026-10-25T00:00:00.000Z'); // 01:00 BST
    expect(isOpen(night, at('2026-10-25T00:30:00Z'), z)).toBe(true); // 01:30 BST
    expect(isOpen(night, at('2026-10-25T01:30:00Z'), z)).toBe(true); // 01:30 GMT
    expect(isOpen(night, at('2026-10-25T02:30:00Z'), z)).toBe(true); // 02:30 GMT
    expect(next(night, '2026-10-25T00:00:00Z', z)).toBe('2026-10-25T03:00:00.000Z'); // 03:00 GMT
    expect(isOpen(night, at('2026-10-25T03:00:00Z'), z)).toBe(false);
    expect(next(office, '2026-10-24T06:00:00Z', z)).toBe('2026-10-24T08:00:00.000Z');
    expect(next(office, '2026-10-24T18:00:00Z', z)).toBe('2026-10-25T09:00:00.000Z');
    expect(next(office, '2026-10-26T06:00:00Z', z)).toBe('2026-10-26T09:00:00.000Z');
  });

  it('America/New_York 2026-03-08 (02:00 EST → 03:00 EDT): 01:00–03:00 is open one real hour', () => {
    const z = 'America/New_York';
    expect(next(night, '2026-03-08T05:00:00Z', z)).toBe('2026-03-08T06:00:00.000Z'); // 01:00 EST
    expect(isOpen(night, at('2026-03-08T06:30:00Z'), z)).toBe(true);
    expect(next(night, '2026-03-08T06:00:00Z', z)).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    expect(isOpen(night, at('2026-03-08T07:00:00Z'), z)).toBe(false);
    expect(next(office, '2026-03-07T12:00:00Z', z)).toBe('2026-03-07T14:00:00.000Z'); // 09:00 EST
    expect(next(office, '2026-03-07T23:00:00Z', z)).toBe('2026-03-08T13:00:00.000Z'); // 09:00 EDT
    expect(next(office, '2026-03-09T10:00:00Z', z)).toBe('2026-03-09T13:00:00.000Z');
  });

  it('America/New_York 2026-11-01 (02:00 EDT → 01:00 EST): 01:00–03:00 is open three real hours', () => {
    const z = 'America/New_York';
    expect(next(night, '2026-11-01T04:00:00Z', z)).toBe('2026-11-01T05:00:00.000Z'); // 01:00 EDT
    expect(isOpen(night, at('2026-11-01T05:30:00Z'), z)).toBe(true); // 01:30 EDT
    expect(isOpen(night, at('2026-11-01T06:30:00Z'), z)).toBe(true); // 01:30 EST
    expect(next(night, '2026-11-01T05:00:00Z', z)).toBe('2026-11-01T08:00:00.000Z'); // 03:00 EST
    expect(next(office, '2026-10-31T12:00:00Z', z)).toBe('2026-10-31T13:00:00.000Z'); // 09:00 EDT
    expect(next(office, '2026-10-31T22:00:00Z', z)).toBe('2026-11-01T14:00:00.000Z'); // 09:00 EST
  });
});
