import type { Simulator } from '@openwaba/simulator';
import { connectNumber, startSimulator } from './helpers/connect-number.ts';
import { metaEnvelope } from './helpers/meta-fixtures.ts';
import { deliverWebhook } from './helpers/webhooks.ts';
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
    (await startSimulator({
      seed: 7,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    }));
  const number = {
    phone_number_id: n.phoneNumberId,
    waba_id: n.wabaId,
    display_phone_number: `+1 555 ${n.phoneNumberId.slice(-7)}`,
    access_token: `tok-${n.phoneNumberId}`,
    throughput_mps: 80,
  };
  s.addNumber(number);
  // The display name and verify token are connectNumber's defaults (`Sim <id>`, `verify-<id>`).
  return { sim: s, ...n, id: await connectNumber(owner, number, { appSecret: n.secret }) };
}

/**
 * A customer writes a text (through the simulator, which signs it with the number's app secret):
 * the webhook stores it and it is processed at once, as the job would.
 */
export async function customerWrites(t: TestApp, n: SimNumber, waId: string, text: string, name?: string) {
  const sent = n.sim.customerSend(n.phoneNumberId, waId, 'text', { text, ...(name ? { name } : {}) })!;
  await deliverWebhook(t, metaEnvelope(n.wabaId, [sent.change]), n.secret);
  return sent.id;
}
