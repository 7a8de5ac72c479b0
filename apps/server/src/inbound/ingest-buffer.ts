/**
 * Group commit: items added while earlier writes are in flight are written together, by one
 * `write` call, and each caller learns its own outcome only once that write has returned (committed).
 * A lone item is written at once (next turn of the event loop); under load batches grow by themselves,
 * so there is no timer to tune.
 *
 * @example
 * const buffer = createIngestBuffer({ write: (rows) => insertRows(db, rows), maxBatch: 500, maxInFlight: 2 });
 * if (await buffer.add(row)) reply.code(200); // durably stored
 */
export function createIngestBuffer<T>(opts: {
  /** Writes the items in one transaction; returns, per item and in order, whether it was accepted. */
  write(items: T[]): Promise<boolean[]>;
  /** Items per write. */
  maxBatch: number;
  /** Bytes per write (with `sizeOf`); an item larger than this is written alone. */
  maxBytes?: number;
  sizeOf?(item: T): number;
  /** Writes running at once. */
  maxInFlight: number;
}) {
  interface Waiting {
    item: T;
    resolve(accepted: boolean): void;
    reject(err: unknown): void;
  }
  let queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;
  const idle: (() => void)[] = [];

  function take(): Waiting[] {
    if (queue.length <= opts.maxBatch && !opts.sizeOf) {
      const all = queue;
      queue = [];
      return all;
    }
    let bytes = 0;
    let n = 0;
    while (n < queue.length && n < opts.maxBatch) {
      bytes += opts.sizeOf?.(queue[n]!.item) ?? 0;
      if (n > 0 && opts.maxBytes !== undefined && bytes > opts.maxBytes) break;
      n++;
    }
    return queue.splice(0, n);
  }

  /** One batch; if it fails as a whole, each item is retried alone so one bad item fails only itself. */
  async function writeBatch(batch: Waiting[]) {
    try {
      const accepted = await opts.write(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        w.resolve(accepted[i] === true);
      });
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else for (const w of batch) await writeBatch([w]);
    }
  }

  function pump() {
    scheduled = false;
    while (inFlight < opts.maxInFlight && queue.length) {
      const batch = take();
      inFlight++;
      void writeBatch(batch).finally(() => {
        inFlight--;
        if (queue.length) schedule();
        else if (!inFlight) for (const f of idle.splice(0)) f();
      });
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    // Requests whose bodies arrived in the same turn of the event loop share the first write.
    setImmediate(pump);
  }

  return {
    /** Resolves once the item's write has committed: true when accepted, false when refused. */
    add(item: T): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    /** Resolves when nothing is waiting or being written. */
    drained(): Promise<void> {
      if (!queue.length && !inFlight) return Promise.resolve();
      return new Promise((r) => idle.push(r));
    },
  };
}
export type IngestBuffer<T> = ReturnType<typeof createIngestBuffer<T>>;
