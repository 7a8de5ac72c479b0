/** What `until` polls: a value once the condition holds, `undefined`/`false` (or any falsy value) until then. */
export type Poll<T> = () => T | undefined | false | Promise<T | undefined | false>;

/**
 * Polls `fn` every 50 ms until it returns a truthy value, and returns that value; fails after
 * `timeoutMs` naming `what` was awaited. For work that happens in the background (jobs, the sender,
 * the simulator's timed statuses): a test waits for the outcome instead of sleeping a guessed time.
 *
 * @example
 * const sent = await until('the reply is sent', async () => (await getMessage(id)).status === 'sent' && id);
 */
export async function until<T>(what: string, fn: Poll<T>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
