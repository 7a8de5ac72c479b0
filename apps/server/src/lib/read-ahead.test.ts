import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.ts';

describe('readAhead', () => {
  it('yields every item in order and reads one ahead while the consumer works', async () => {
    const log: string[] = [];
    async function* source() {
      for (let i = 1; i <= 3; i++) {
        log.push(`produce ${i}`);
        yield i;
      }
      log.push('end');
    }
    const seen: number[] = [];
    for await (const n of readAhead(source())) {
      await new Promise((r) => setTimeout(r, 5));
      log.push(`consume ${n}`);
      seen.push(n);
    }
    expect(seen).toEqual([1, 2, 3]);
    // Item 2 is produced before item 1 is consumed: the producer ran during the consumer's wait.
    expect(log.indexOf('produce 2')).toBeLessThan(log.indexOf('consume 1'));
    expect(log.indexOf('produce 3')).toBeLessThan(log.indexOf('consume 2'));
  });

  it('surfaces a producer error to the consumer', async () => {
    async function* source() {
      yield 1;
      throw new Error('bad row 2');
    }
    const seen: number[] = [];
    await expect(async () => {
      for await (const n of readAhead(source())) seen.push(n);
    }).rejects.toThrow('bad row 2');
    expect(seen).toEqual([1]);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const n of readAhead(source())) if (n === 2) break;
    expect(closed).toBe(true);
  });

  it('closes the source when the consumer throws', async () => {
    let closed = false;
    async function* source() {
      try {
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    await expect(async () => {
      for await (const _ of readAhead(source())) throw new Error('database refused');
    }).rejects.toThrow('database refused');
    expect(closed).toBe(true);
  });
});
