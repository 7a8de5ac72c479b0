import { signWebhookBody } from '@openwaba/simulator';
import type { TestApp } from '../helpers.ts';

type App = Pick<TestApp, 'app' | 'database'>;

/**
 * POSTs `payload` to the webhook endpoint like Meta (ASCII-escaped JSON signed with `secret`);
 * the answer and the id of the newest stored event.
 */
export async function postWebhook(t: App, payload: unknown, secret: string) {
  const { body, signature } = signWebhookBody(payload, secret);
  const res = await t.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
  const [row] = await t.database.query<{ id: string }>('select max(id) as id from webhook_events');
  return { res, eventId: Number(row!.id) };
}

/**
 * POSTs like Meta (the answer must be a 200) and processes the stored event at once, as the job
 * would; the event's id and what processing it did.
 *
 * @example
 * const { result } = await deliverWebhook(t, metaFixture('message-text', { wabaId, phoneNumberId }), SECRET);
 */
export async function deliverWebhook(t: App, payload: unknown, secret: string) {
  const { res, eventId } = await postWebhook(t, payload, secret);
  if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
  return { eventId, result: await t.app.services.inbound.processEvent(eventId) };
}

/**
 * Stores `payload` as the webhook would after checking a signature made with `secret`, without the
 * HTTP round trip, and processes it; what processing it did.
 */
export async function storeWebhook(t: Pick<TestApp, 'app'>, payload: unknown, secret: string) {
  const { body } = signWebhookBody(payload, secret);
  return t.app.services.inbound.processEvent(
    await t.app.services.inbound.store(Buffer.from(body), { appSecret: secret }),
  );
}
