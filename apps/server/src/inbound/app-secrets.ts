import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { verifySignature } from '../whatsapp/signature.ts';

interface Entry {
  secret: string;
  /** One number's sealed copy of the secret: the database check that it is still configured. */
  sealed: string;
}

/**
 * The numbers' app secrets, decrypted once and kept in memory: checking a webhook's signature costs
 * no query and no decryption. The cache is a hint, never the authority — a POST is stored only if the
 * sealed secret that matched is still a number's at insert time (see `insertSignedEvents`), so a
 * removed number or a replaced secret stops verifying at once, in every process. A signature that no
 * cached secret matches re-reads the numbers before it is refused: a number added a moment ago (in
 * this or another process) works at once.
 */
export function createAppSecretCache(deps: { loadSealed(): Promise<string[]>; box: SecretBox; log: Log }) {
  let entries: Entry[] | undefined;
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  async function load() {
    const fresh = new Map<string, Entry>();
    for (const sealed of await deps.loadSealed()) {
      try {
        const secret = deps.box.open(sealed);
        if (!fresh.has(secret)) fresh.set(secret, { secret, sealed });
      } catch (err) {
        // One number sealed under a forgotten APP_SECRET must not stop the others' webhooks.
        deps.log.error({ err }, 'an app secret cannot be decrypted; its webhooks are refused');
      }
    }
    entries = [...fresh.values()];
  }

  /**
   * Reads the numbers again. Concurrent callers share one read, but never one that began before they
   * asked (it could have missed the change they are looking for): they wait for the next.
   */
  function refresh(): Promise<void> {
    if (!running) {
      running = load().finally(() => {
        running = undefined;
      });
      return running;
    }
    next ??= running
      .catch(() => {})
      .then(() => {
        next = undefined;
        return refresh();
      });
    return next;
  }

  const find = (raw: Buffer, header: string) => entries?.find((e) => verifySignature(raw, header, e.secret));

  return {
    /** The sealed secret of a number whose app secret signed these exact bytes, or undefined. */
    async match(raw: Buffer, header: string | undefined, o: { fresh?: boolean } = {}) {
      if (!header?.startsWith('sha256=')) return undefined;
      const fresh = !entries || o.fresh;
      if (fresh) await refresh();
      const hit = find(raw, header);
      if (hit || fresh) return hit?.sealed;
      await refresh();
      return find(raw, header)?.sealed;
    },
  };
}
export type AppSecretCache = ReturnType<typeof createAppSecretCache>;
