import type { Database, Db } from '../db/client.ts';
import { webhookEvents } from '../db/schema.ts';
import type { WebhookSecrets } from './app-secrets.ts';
import { createIngestBuffer } from './ingest-buffer.ts';
import { insertSignedEvents } from './pending-events.ts';
import type { SignerFingerprints } from './signer.ts';

/** The window the verified POST rate is measured over. */
const RATE_WINDOW_MS = 250;

/**
 * A body as it can be stored: PostgreSQL refuses a NUL character in text, and a body carrying one
 * raw (never valid JSON, but signed) must not fail its whole INSERT batch: it is kept escaped.
 */
const storable = (raw: Buffer) => {
  const text = raw.toString('utf8');
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\\u0000') : text;
};

/**
 * The POST side of the webhook: verified bodies are stored raw, with the fingerprint of the secret
 * that verified them, before Meta is answered. Only verified POSTs count toward the rate processing
 * yields to: a flood of badly signed POSTs can neither slow processing down nor cost a query each.
 */
export function createWebhookReceiver(deps: {
  db: Db;
  database: Database;
  secrets: WebhookSecrets;
  signers: SignerFingerprints;
}) {
  const { db, database, secrets } = deps;
  let lastReceivedAt = 0;
  // The rate verified POSTs arrive at (per second, over windows of RATE_WINDOW_MS): processing only
  // rests for a burst, not for steady traffic it can keep up with.
  let windowStart = 0;
  let windowCount = 0;
  let lastRate = 0;

  function countVerified() {
    lastReceivedAt = performance.now();
    if (lastReceivedAt - windowStart >= RATE_WINDOW_MS) {
      lastRate = (windowCount * 1000) / (lastReceivedAt - windowStart);
      windowStart = lastReceivedAt;
      windowCount = 0;
    }
    windowCount++;
  }

  /** Verified POSTs per second arriving now (0 once they pause for RATE_WINDOW_MS). */
  function receivingRate() {
    const now = performance.now();
    const elapsed = now - windowStart;
    if (now - lastReceivedAt > RATE_WINDOW_MS) return 0;
    return elapsed >= 50 ? Math.max((windowCount * 1000) / elapsed, lastRate) : lastRate;
  }

  // Drains of this process waiting for new events (see `waitForNew`).
  let waiting: (() => void)[] = [];
  const stored = () => {
    const wake = waiting;
    waiting = [];
    for (const w of wake) w();
  };

  // Concurrent POSTs share one INSERT (PGlite has one connection: one write at a time).
  const ingest = createIngestBuffer({
    write: async (rows: { raw: string; sealed: string; signer: string }[]) => {
      const accepted = await insertSignedEvents(database, rows);
      if (accepted.includes(true)) stored();
      return accepted;
    },
    maxBatch: 500,
    maxBytes: 4 * 1024 * 1024,
    sizeOf: (r) => r.raw.length,
    maxInFlight: database.kind === 'pg' ? 2 : 1,
  });

  /**
   * Stores a POST signed by one of the numbers' app secrets (checked on these exact bytes); resolves
   * once it is committed, as a pending event that processing is sure to pick up. False: no number's
   * secret signed it, nothing is stored.
   */
  async function receive(raw: Buffer, signature: string | undefined): Promise<boolean> {
    let signed = await secrets.match(raw, signature);
    if (!signed) return false;
    countVerified();
    const text = storable(raw);
    if (await ingest.add({ raw: text, ...signed })) return true;
    // The secret that matched was removed or replaced since it was cached: look again (if due).
    signed = await secrets.match(raw, signature, { recheck: true });
    return signed ? ingest.add({ raw: text, ...signed }) : false;
  }

  /**
   * Stores a body as a pending event without checking a signature (tests, tools); returns its id.
   * Processing routes it only to numbers of the app given (its secret, or its fingerprint): without
   * one, nothing is applied.
   */
  async function store(raw: Buffer, o: { appSecret?: string; signer?: string } = {}): Promise<number> {
    const signer = o.signer ?? (o.appSecret ? deps.signers.current(o.appSecret) : null);
    const [row] = await db
      .insert(webhookEvents)
      .values({ raw: storable(raw), signer })
      .returning({ id: webhookEvents.id });
    stored();
    return row!.id;
  }

  /** Resolves after `ms`, or as soon as this process commits a new pending event. */
  function waitForNew(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiting = waiting.filter((w) => w !== done);
        resolve();
      }, ms);
      waiting.push(done);
    });
  }

  return {
    receive,
    store,
    receivingRate,
    waitForNew,
    /** performance.now() of the last verified POST. */
    lastReceivedAt: () => lastReceivedAt,
  };
}
