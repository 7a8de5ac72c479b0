import { describe, expect, it } from 'vitest';
import { createIngestBuffer } from './ingest-buffer.ts';

describe('group commit of webhook POSTs', () => {
  it('items added together share one write; a write that fails is retried item by item, so one bad item fails alone', async () => {
    const writes: string[][] = [];
    const buffer = createIngestBuffer<string>({
      async write(items) {
        writes.push(items);
        if (items.includes('bad')) throw new Error('cannot store "bad"');
        return items.map((i) => i !== 'refused');
      },
      maxBatch: 100,
      maxInFlight: 1,
    });
    const items = ['a', 'b', 'bad', 'c', 'refused'];
    const outcomes = await Promise.allSettled(items.map((i) => buffer.add(i)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'error'))).toEqual([
      true,
      true,
      'error',
      true,
      false,
    ]);
    expect(writes[0]).toEqual(items);
    expect(writes.slice(1)).toEqual(items.map((i) => [i]));
    await buffer.drained();
  });
});
