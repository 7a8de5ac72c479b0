import type { ImportOptions } from '@openwaba/contracts';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.ts';
import type { FieldDef } from '../fields.ts';
import { assertFieldsKnown, readerSetup } from './import-reader.ts';
import { resolveColumns } from './mapping.ts';

const headers = ['Phone', 'Name', 'City', 'Plan'];
const defs = new Map<string, FieldDef>([
  ['city', { key: 'city', type: 'text', options: null }],
  ['plan', { key: 'plan', type: 'enum', options: ['free', 'pro'] }],
]);
const settings = { default_region: 'US', allowed_countries: [] };
const options = (fields: Record<string, string>): ImportOptions => ({
  mapping: { phone: 'Phone', name: 'Name', fields },
  on_duplicate: 'update',
});

describe('assertFieldsKnown', () => {
  it('names every unknown field key in one 400', () => {
    const columns = resolveColumns(headers, options({ city: 'City', tier: 'Plan', zone: 'City' }).mapping);
    let caught: unknown;
    try {
      assertFieldsKnown(columns, defs);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('VALIDATION_FAILED');
    expect((caught as AppError).message).toBe(
      'mapping.fields.tier: no custom field has the key "tier"; mapping.fields.zone: no custom field has the key "zone"',
    );
  });

  it('accepts a mapping of known fields', () => {
    expect(() =>
      assertFieldsKnown(resolveColumns(headers, options({ city: 'City' }).mapping), defs),
    ).not.toThrow();
  });
});

describe('readerSetup', () => {
  it('gives the same cache key whatever order the stored options list their fields in', () => {
    const a = options({ city: 'City', plan: 'Plan' });
    const b = options({ plan: 'Plan', city: 'City' });
    const keyOf = (o: ImportOptions) =>
      readerSetup(resolveColumns(headers, o.mapping), o, defs, settings).key;
    expect(keyOf(a)).toBe(keyOf(b));
    expect(keyOf({ ...a, add_tags: ['vip'] })).not.toBe(keyOf(a));
  });

  it('reads a row with the mapped columns', () => {
    const o = options({ city: 'City' });
    const { read } = readerSetup(resolveColumns(headers, o.mapping), o, defs, settings);
    const row = read({ rowNumber: 2, cells: ['+1 415 555 0123', 'Ana', 'Lisbon', 'pro'] });
    expect(row).toMatchObject({ ok: true, waId: '14155550123', name: 'Ana', fields: { city: 'Lisbon' } });
  });
});
