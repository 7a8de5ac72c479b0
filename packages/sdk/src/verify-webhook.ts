import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `@openwaba/sdk/webhooks`: receiving openwaba's outbound webhooks (Standard Webhooks). Checks
 * `webhook-signature` over `<webhook-id>.<webhook-timestamp>.<raw body>` with the endpoint's
 * `whsec_…` secret(s). Node only (node:crypto), hence its own entry point, out of the dashboard's
 * browser bundle. Give it the raw body exactly as received, before any JSON parsing.
 */

/** Why a request was refused: `code` says which check failed. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly code:
      | 'missing_headers'
      | 'timestamp_invalid'
      | 'timestamp_too_old'
      | 'timestamp_too_new'
      | 'no_match'
      | 'bad_secret'
      | 'bad_payload',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** An openwaba event as delivered: `webhook-id` is its id, the same on retries and replays. */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  timestamp: string;
  data: T;
}

type HeaderBag =
  | Headers
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null | undefined };

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const v = bag[name] ?? Object.entries(bag).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
}

function keyOf(secret: string): Buffer {
  const raw = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  const key = Buffer.from(raw, 'base64');
  if (!key.length) throw new WebhookVerificationError('bad_secret', 'The secret is not a whsec_… secret');
  return key;
}

/**
 * Verifies a delivery and answers the parsed event; throws `WebhookVerificationError` otherwise.
 * Pass several secrets while you rotate (any one matching is enough). Refuses timestamps more than
 * `toleranceSeconds` away from now (replayed captures). De-duplicate on the returned `id`.
 *
 * @example
 * import { verifyWebhook } from '@openwaba/sdk/webhooks';
 * app.post('/hooks/openwaba', express.raw({ type: 'application/json' }), (req, res) => {
 *   const event = verifyWebhook(req.body, req.headers, process.env.OPENWABA_WEBHOOK_SECRET!);
 *   if (event.type === 'message.received') queue.add(event.data);
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook<T = Record<string, unknown>>(
  payload: string | Buffer | Uint8Array,
  headers: HeaderBag,
  secret: string | string[],
  o: { toleranceSeconds?: number; now?: Date } = {},
): WebhookEvent<T> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signature)
    throw new WebhookVerificationError(
      'missing_headers',
      'Missing webhook-id, webhook-timestamp or webhook-signature header',
    );
  if (!/^\d{1,15}$/.test(timestamp))
    throw new WebhookVerificationError('timestamp_invalid', 'webhook-timestamp is not a number of seconds');
  const tolerance = o.toleranceSeconds ?? 300;
  const now = Math.floor((o.now ?? new Date()).getTime() / 1000);
  const at = Number(timestamp);
  if (at < now - tolerance)
    throw new WebhookVerificationError('timestamp_too_old', `The request is more than ${tolerance} s old`);
  if (at > now + tolerance)
    throw new WebhookVerificationError(
      'timestamp_too_new',
      `The request is more than ${tolerance} s in the future`,
    );

  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const given = signature
    .split(' ')
    .map((s) => s.split(','))
    .filter(([v, sig]) => v === 'v1' && sig)
    .map(([, sig]) => Buffer.from(sig!, 'base64'));
  const secrets = Array.isArray(secret) ? secret : [secret];
  if (!secrets.length) throw new WebhookVerificationError('bad_secret', 'No secret to verify with');
  const matched = secrets.some((s) => {
    const expected = createHmac('sha256', keyOf(s)).update(signed).digest();
    // Every candidate is compared (constant time each): no early exit on the first mismatch.
    return given.reduce(
      (ok, g) => (g.length === expected.length && timingSafeEqual(g, expected)) || ok,
      false,
    );
  });
  if (!matched) throw new WebhookVerificationError('no_match', 'No signature matches the secret');

  let event: { type?: unknown; timestamp?: unknown; data?: unknown };
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('bad_payload', 'The body is not JSON');
  }
  if (typeof event?.type !== 'string')
    throw new WebhookVerificationError('bad_payload', 'The body is not an openwaba event');
  return { id, type: event.type, timestamp: String(event.timestamp ?? ''), data: (event.data ?? {}) as T };
}
