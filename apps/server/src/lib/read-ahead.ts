/**
 * Yields the items of `source`, asking for the next one as soon as the current one is handed out, so
 * the producer's work (parsing a file) overlaps the consumer's waiting (a database round trip). At most
 * one item is read ahead. A producer error surfaces at the consumer's next step; stopping early closes
 * the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  try {
    let next = it.next();
    for (;;) {
      const r = await next;
      if (r.done) {
        done = true;
        return;
      }
      next = it.next();
      // Awaited on the next turn of the loop; this only keeps an early failure from being "unhandled".
      next.catch(() => {});
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}
