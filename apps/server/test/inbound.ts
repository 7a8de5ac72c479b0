import { createSimulator, type Simulator, signWebhookBody } from '@openwaba/simulator';
import type { TestApp, TestClient } from './helpers.ts';

/** A number on the simulator, connected to the test app's organisation through the API. */
export interface SimNumber {
  sim: Simulator;
  phoneNumberId: string;
  wabaId: string;
  secret: string;
  /** Our id of the number. */
  id: string;
}

/** Starts a simulator with one number (customers never answer by themselves) and connects it as `owner`. */
export async function connectSimNumber(
  owner: TestClient,
  n: { phoneNumberId: string; wabaId: string; secret: string },
  sim?: Simulator,
): Promise<SimNumber> {
  const s =
    sim ??
    (await createSimulator({
      seed: 7,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    }));
  if (!sim) await s.listen(0);
  s.addNumber({
    phone_number_id: n.phoneNumberId,
    waba_id: n.wabaId,
    display_phone_number: `+1 555 ${n.phoneNumberId.slice(-7)}`,
    access_token: `tok-${n.phoneNumberId}`,
    throughput_mps: 80,
  });
  const res = await owner.post('/api/v1/numbers', {
    display_name: `Sim ${n.phoneNumberId}`,
    phone_number_id: n.phoneNumberId,
    waba_id: n.wabaId,
    access_token: `tok-${n.phoneNumberId}`,
    app_secret: n.secret,
    verify_token: `verify-${n.phoneNumberId}`,
  });
  if (res.statusCode !== 201) throw new Error(`connecting the number failed: ${res.body}`);
  return { sim: s, ...n, id: res.json().id };
}

/**
 * A customer writes a text (through the simulator, which signs it with the number's app secret):
 * the webhook stores it and it is processed at once, as the job would.
 */
export async function customerWrites(t: TestApp, n: SimNumber, waId: string, text: string, name?: string) {
  const sent = n.sim.customerSend(n.phoneNumberId, waId, 'text', { text, ...(name ? { name } : {}) })!;
  const payload = { object: 'whatsapp_business_account', entry: [{ id: n.wabaId, changes: [sent.change] }] };
  const { body, signature } = signWebhookBody(payload, n.secret);
  const res = await t.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
  if (res.statusCode !== 200) throw new Error(`webhook refused: ${res.statusCode} ${res.body}`);
  const [ev] = await t.database.query<{ id: string }>('select max(id) as id from webhook_events');
  await t.app.services.inbound.processEvent(Number(ev!.id));
  return sent.id;
}
