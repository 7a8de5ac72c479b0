import { describe, expect, it } from 'vitest';
import type { BadRow, Existing, GoodRow } from './plan.ts';
import { emptyCounts } from './plan.ts';
import { planBatch } from './write-batch.ts';

const good = (rowNumber: number, waId: string, o: Partial<GoodRow> = {}): GoodRow => ({
  ok: true,
  rowNumber,
  waId,
  e164: `+${waId}`,
  country: 'US',
  name: null,
  tags: [],
  fields: {},
  ...o,
});
const bad = (rowNumber: number, outcome: BadRow['outcome']): BadRow => ({
  ok: false,
  rowNumber,
  value: 'x',
  reason: 'not a phone',
  outcome,
});
const onFile = (id: string, o: Partial<Existing> = {}): Existing => ({
  id,
  name: 'Ana',
  fields: {},
  tags: new Set(),
  ...o,
});

describe('planBatch', () => {
  const batch = [
    good(2, '1001', { name: 'New' }),
    good(3, '1002', { name: 'Ana' }),
    good(4, '1003', { name: 'Renamed' }),
    bad(5, 'invalid'),
    bad(6, 'duplicate'),
  ];
  const existing = new Map([
    ['1002', onFile('c2')],
    ['1003', onFile('c3')],
  ]);

  it('update mode: new and changed rows are written, every row on file gets the opt-in', () => {
    const counts = emptyCounts();
    const plan = planBatch(batch, existing, 'update', counts);
    expect(plan.fresh.map((r) => r.waId)).toEqual(['1001']);
    expect(plan.changed.map((r) => r.waId)).toEqual(['1003']);
    expect(plan.consenting.map((r) => r.waId)).toEqual(['1001', '1002', '1003']);
    expect(plan.bad.map((r) => r.rowNumber)).toEqual([5, 6]);
    expect(counts).toEqual({ total: 5, new: 1, updated: 1, unchanged: 1, invalid: 1, duplicates: 1 });
  });

  it('skip mode: contacts on file are left alone and get no opt-in', () => {
    const counts = emptyCounts();
    const plan = planBatch(batch, existing, 'skip', counts);
    expect(plan.fresh.map((r) => r.waId)).toEqual(['1001']);
    expect(plan.changed).toEqual([]);
    expect(plan.consenting.map((r) => r.waId)).toEqual(['1001']);
    expect(counts).toEqual({ total: 5, new: 1, updated: 0, unchanged: 2, invalid: 1, duplicates: 1 });
  });

  it('counts across batches into the same totals', () => {
    const counts = emptyCounts();
    planBatch([good(2, '1001')], new Map(), 'update', counts);
    planBatch([good(3, '1004'), bad(4, 'invalid')], new Map(), 'update', counts);
    expect(counts).toMatchObject({ total: 3, new: 2, invalid: 1 });
  });
});
