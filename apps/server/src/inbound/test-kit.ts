import type { Simulator } from '@openwaba/simulator';
import { connectNumber } from '../../test/helpers/connect-number.ts';
import type { TestApp, TestClient } from '../../test/helpers.ts';

export { deliverWebhook as deliver, postWebhook as post } from '../../test/helpers/webhooks.ts';

/** Test helpers for webhook tests: organisations with a number each, Meta's envelopes, signed POSTs. */

export interface Tenant {
  orgId: string;
  client: TestClient;
  numberId: string;
  phoneId: string;
  wabaId: string;
  /** The display number as Meta writes it in webhooks (digits). */
  display: string;
  secret: string;
}

let tenants = 0;

/**
 * A number in the simulator (its token belonging to the app of `secret`) connected through the API
 * by an organisation: the seeded one (`org` omitted) or a new one with its own owner.
 */
export async function connectTenant(
  t: TestApp,
  sim: Simulator,
  n: { phone: string; waba: string; secret: string; org?: string },
): Promise<Tenant> {
  const display = `1555${n.phone.slice(-7)}`;
  sim.addNumber({
    phone_number_id: n.phone,
    waba_id: n.waba,
    display_phone_number: `+${display}`,
    access_token: `token-${n.phone}`,
    app_secret: n.secret,
  });
  let client: TestClient;
  let orgId = t.orgId;
  if (n.org) {
    const email = `tenant${++tenants}-${n.phone}@example.com`;
    orgId = (await t.app.services.orgs.setupOwner({ email, password: 'tenant password 1', orgName: n.org }))
      .orgId;
    client = t.client();
    await client.login(email, 'tenant password 1');
  } else client = await t.owner();
  const numberId = await connectNumber(
    client,
    { phone_number_id: n.phone, waba_id: n.waba, access_token: `token-${n.phone}` },
    { appSecret: n.secret, displayName: `Line ${n.phone}`, verifyToken: `verify-${n.phone}` },
  );
  return {
    orgId,
    client,
    numberId,
    phoneId: n.phone,
    wabaId: n.waba,
    display,
    secret: n.secret,
  };
}

type Json = Record<string, unknown>;

export const envelope = (wabaId: string, changes: { field: string; value: Json }[]) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: wabaId, time: Math.floor(Date.now() / 1000), changes }],
});

/** Several entries (WABAs) in one POST, as Meta batches them. */
export const envelopes = (...entries: ReturnType<typeof envelope>[]) => ({
  object: 'whatsapp_business_account',
  entry: entries.flatMap((e) => e.entry),
});

/** A `messages` change carrying customer messages (text unless `m` says otherwise) to `n`. */
export function messagesChange(
  n: Pick<Tenant, 'phoneId' | 'display'>,
  messages: { id: string; from: string; text?: string; name?: string; m?: Json }[],
) {
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: n.display, phone_number_id: n.phoneId },
      contacts: messages.map((x) => ({ profile: { name: x.name ?? 'Ana' }, wa_id: x.from })),
      messages: messages.map((x) => ({
        from: x.from,
        id: x.id,
        timestamp: String(Math.floor(Date.now() / 1000)),
        ...(x.m ?? { type: 'text', text: { body: x.text ?? 'Hello' } }),
      })),
    },
  };
}

/** A `messages` change carrying statuses of messages `n` sent. */
export function statusesChange(n: Pick<Tenant, 'phoneId' | 'display'>, statuses: Json[]) {
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: n.display, phone_number_id: n.phoneId },
      statuses: statuses.map((s, i) => ({ timestamp: String(1_700_000_000 + i), recipient_id: '1', ...s })),
    },
  };
}

export const countRows = async (t: TestApp, sql: string, params: unknown[] = []) =>
  Number((await t.database.query<{ n: string }>(`select count(*) as n from (${sql}) x`, params))[0]!.n);
