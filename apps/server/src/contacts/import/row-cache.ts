import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ReadRow } from './plan.ts';

/**
 * The rows of an upload as its preview read them (phones normalised, fields checked), kept beside the
 * file so the import does not parse and validate the whole file a second time. A cache is only used
 * with the key it was written for — everything reading depends on (columns, field definitions,
 * region, allowed countries, added tags) — and the upload itself never changes, so a cached row is
 * exactly the row a fresh read would give.
 */
export const cachePathOf = (uploadPath: string) => `${uploadPath}.rows`;

/** Yields the batches unchanged while writing them to the cache; the cache appears only when all were read. */
export async function* writeThrough(
  uploadPath: string,
  key: string,
  batches: AsyncIterable<ReadRow[]>,
): AsyncGenerator<ReadRow[]> {
  const tmp = `${cachePathOf(uploadPath)}.${randomUUID()}.tmp`;
  const out = createWriteStream(tmp);
  let complete = false;
  try {
    out.write(`${JSON.stringify(key)}\n`);
    for await (const batch of batches) {
      if (!out.write(`${JSON.stringify(batch)}\n`)) await once(out, 'drain');
      yield batch;
    }
    out.end();
    await once(out, 'finish');
    await rename(tmp, cachePathOf(uploadPath));
    complete = true;
  } finally {
    if (!complete) {
      out.destroy();
      await rm(tmp, { force: true });
    }
  }
}

/** The cached batches, or null when there is no cache written for this key. */
export async function cachedBatches(
  uploadPath: string,
  key: string,
): Promise<AsyncGenerator<ReadRow[]> | null> {
  const input = createReadStream(cachePathOf(uploadPath));
  const opened = await new Promise<boolean>((resolve) => {
    input.once('open', () => resolve(true));
    input.once('error', () => resolve(false));
  });
  if (!opened) return null;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || first.value !== JSON.stringify(key)) {
    input.destroy();
    return null;
  }
  return (async function* () {
    try {
      for (;;) {
        const line = await lines.next();
        if (line.done) return;
        yield JSON.parse(line.value) as ReadRow[];
      }
    } finally {
      input.destroy();
    }
  })();
}
