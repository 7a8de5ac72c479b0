import { createHash, timingSafeEqual } from 'node:crypto';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { findSigner } from '../whatsapp/signature.ts';
import type { SignerFingerprints } from './signer.ts';

/** A number's sealed webhook credentials, as stored, with the ids Meta's bodies name it by. */
export interface SealedWebhookCredentials {
  appSecretSealed: string;
  verifyTokenSealed: string;
  phoneNumberId?: string;
  wabaId?: string;
}

interface Secret {
  secret: string;
  /** One number's sealed copy of the secret: the database check that it is still configured. */
  sealed: string;
  /** The fingerprint stored with the events it verifies. */
  signer: string;
}

/** A miss re-reads the numbers at most this often per process (junk POSTs cost no query). */
export const RELOAD_EVERY_MS = 1000;
/**
 * Signatures checked against every secret (not only those of the numbers the body names) at most
 * this often a second per process: the rest of a flood costs one HMAC per named number, or none.
 */
export const FULL_SCANS_PER_SECOND = 100;

/**
 * The WABA and phone number ids a raw body names (`"id":"…"` of an entry, `"phone_number_id":"…"`),
 * read without parsing it. Every change Meta sends names its WABA (the entry's id), so a body's own
 * app always has a number under one of these.
 */
const NAMED_ID = /"(?:id|phone_number_id)"\s*:\s*"(\d{1,30})"/g;
function namedIds(raw: Buffer): Set<string> {
  const ids = new Set<string>();
  for (const m of raw.toString('latin1').matchAll(NAMED_ID)) ids.add(m[1]!);
  return ids;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The numbers' app secrets and verify-token digests, decrypted once and kept in memory: checking a
 * signature or the GET handshake costs no query and no decryption. The cache is a hint, never the
 * authority — a POST is stored only if the sealed secret that matched is still a number's at insert
 * time (see `insertSignedEvents`), so a removed number or a replaced secret stops verifying at once.
 * The numbers domain tells this process when credentials change (`forget`): the next request reads
 * them again. A signature or token no cached value matches re-reads the numbers too, but at most
 * once a second (RELOAD_EVERY_MS), so a number connected a moment ago in another process works within
 * a second while a flood of badly signed POSTs costs one query a second. A number whose secret cannot
 * be decrypted (sealed under a lost APP_SECRET) is left out; the others work.
 */
export function createWebhookSecrets(deps: {
  load(): Promise<SealedWebhookCredentials[]>;
  box: SecretBox;
  signers: SignerFingerprints;
  log: Log;
  now?: () => number;
}) {
  const now = deps.now ?? (() => performance.now());
  let secrets: Secret[] = [];
  /** WABA or phone number id → the secrets of the numbers it names. */
  let byId = new Map<string, Secret[]>();
  let tokens: Buffer[] = [];
  let scanWindowStart = Number.NEGATIVE_INFINITY;
  let scansInWindow = 0;
  /** sealed → opened value (or null: cannot be decrypted), carried from read to read. */
  let opened = new Map<string, string | null>();
  /** sealed → fingerprints, for routing (computed when first asked, dropped with the number). */
  let prints = new Map<string, string[]>();
  let generation = 0;
  let loadedGeneration = -1;
  let lastReadAt = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;

  function open(sealed: string, what: string, next: Map<string, string | null>): string | null {
    let value = opened.get(sealed);
    if (value === undefined) {
      try {
        value = deps.box.open(sealed);
      } catch (err) {
        // Reported once per sealed value: the cache is re-read every second under a flood.
        deps.log.error({ err }, `a number's ${what} cannot be decrypted (APP_SECRET lost?): left out`);
        value = null;
      }
    }
    next.set(sealed, value);
    return value;
  }

  async function read() {
    const startedGeneration = generation;
    lastReadAt = now();
    const rows = await deps.load();
    const next = new Map<string, string | null>();
    const fresh = new Map<string, Secret>();
    const ids = new Map<string, Secret[]>();
    const digests: Buffer[] = [];
    for (const r of rows) {
      const secret = open(r.appSecretSealed, 'app secret', next);
      if (secret !== null && !fresh.has(secret)) {
        fresh.set(secret, { secret, sealed: r.appSecretSealed, signer: deps.signers.current(secret) });
      }
      const entry = secret === null ? undefined : fresh.get(secret);
      for (const id of entry ? [r.phoneNumberId, r.wabaId] : []) {
        if (!id) continue;
        const list = ids.get(id) ?? [];
        if (!list.includes(entry!)) list.push(entry!);
        ids.set(id, list);
      }
      const token = open(r.verifyTokenSealed, 'verify token', next);
      if (token !== null) digests.push(digest(token));
    }
    opened = next;
    prints = new Map([...prints].filter(([sealed]) => next.has(sealed)));
    secrets = [...fresh.values()];
    byId = ids;
    tokens = digests;
    loadedGeneration = startedGeneration;
  }

  /** One read at a time; callers arriving meanwhile share it. */
  function reload(): Promise<void> {
    running ??= read().finally(() => {
      running = undefined;
    });
    return running;
  }

  /** Reads again when told credentials changed since the last read (or never read). */
  async function current() {
    for (let i = 0; i < 3 && loadedGeneration !== generation; i++) await reload();
  }

  /** After a miss: reads again unless a read began less than RELOAD_EVERY_MS ago. True if it read. */
  async function reloadIfDue(): Promise<boolean> {
    if (running) {
      await running;
      return true;
    }
    if (now() - lastReadAt < RELOAD_EVERY_MS) return false;
    await reload();
    return true;
  }

  /** May this signature be tried against every secret? At most FULL_SCANS_PER_SECOND a second. */
  function mayScanAll() {
    const t = now();
    if (t - scanWindowStart >= 1000) {
      scanWindowStart = t;
      scansInWindow = 0;
    }
    return ++scansInWindow <= FULL_SCANS_PER_SECOND;
  }

  /**
   * The secrets of the numbers the body names first (a real POST: one HMAC, however many apps the
   * install serves), then — within the full-scan budget — every other one: a body signed by another
   * app than its numbers' is still stored, to be shown as not routed. A flood of badly signed POSTs
   * past the budget costs one HMAC per number it names, or none.
   */
  function find(raw: Buffer, header: string): Secret | undefined {
    const named = new Set<Secret>();
    for (const id of namedIds(raw)) for (const e of byId.get(id) ?? []) named.add(e);
    const first = findSigner(raw, header, [...named], (e) => e.secret);
    if (first || named.size === secrets.length || !mayScanAll()) return first;
    return findSigner(
      raw,
      header,
      secrets.filter((e) => !named.has(e)),
      (e) => e.secret,
    );
  }

  function knowsToken(token: string) {
    const d = digest(token);
    // Every digest is compared, each in constant time: the answer's timing says nothing of the tokens.
    let found = false;
    for (const t of tokens) found = timingSafeEqual(d, t) || found;
    return found;
  }

  return {
    /**
     * The number secret that signed these exact bytes (its sealed copy and fingerprint), or undefined.
     * `recheck`: the secret that matched is no longer a number's (insert refused it) — read again if due.
     */
    async match(raw: Buffer, header: string | undefined, o: { recheck?: boolean } = {}) {
      if (!header?.startsWith('sha256=')) return undefined;
      await current();
      if (o.recheck && !(await reloadIfDue())) return undefined;
      const hit = find(raw, header);
      if (hit || o.recheck) return hit && { sealed: hit.sealed, signer: hit.signer };
      if (!(await reloadIfDue())) return undefined;
      const again = find(raw, header);
      return again && { sealed: again.sealed, signer: again.signer };
    },
    /** The GET handshake: is this one of the numbers' verify tokens? */
    async verifyToken(token: string): Promise<boolean> {
      await current();
      if (knowsToken(token)) return true;
      return (await reloadIfDue()) && knowsToken(token);
    },
    /** Every fingerprint of a number's sealed secret (empty when it cannot be decrypted). */
    fingerprintsOf(sealed: string): string[] {
      let found = prints.get(sealed);
      if (!found) {
        const secret = open(sealed, 'app secret', opened);
        found = secret === null ? [] : deps.signers.all(secret);
        prints.set(sealed, found);
      }
      return found;
    },
    /** Credentials changed (this process): the next request reads them again. */
    forget() {
      generation++;
    },
  };
}
export type WebhookSecrets = ReturnType<typeof createWebhookSecrets>;
