import { type Simulator, signWebhookBody } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import {
  connectTenant,
  countRows,
  deliver,
  envelope,
  envelopes,
  messagesChange,
  statusesChange,
  type Tenant,
} from './test-kit.ts';

// Organisation A connects a number of its own Meta app (secret SA), so it can sign any body with SA.
// B's number belongs to another app (SB). C is A's agency client: another organisation whose number
// belongs to A's app (same secret). Every kind of change Meta sends, naming B, signed with SA: stored,
// never applied to B. The same changes signed by B's app do apply (the harness can see a change).
const SA = 'secret-of-app-a';
const SB = 'secret-of-app-b';
const CUSTOMER = '16505550100';

let sim: Simulator;
let t: TestApp;
let a: Tenant;
let b: Tenant;
let c: Tenant;
let templateMetaId: string;
let templateId: string;
let campaignId: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 41 });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  a = await connectTenant(t, sim, { phone: '8100001', waba: '8200001', secret: SA });
  b = await connectTenant(t, sim, { phone: '8100002', waba: '8200002', secret: SB, org: 'Bee' });
  c = await connectTenant(t, sim, { phone: '8100003', waba: '8200003', secret: SA, org: 'Client of A' });
  // B's own customer writes in (B's own app signs it), and B has a sent message, a template and a
  // running campaign that uses it.
  await deliver(t, envelope(b.wabaId, [messagesChange(b, [{ id: 'wamid.B-IN', from: CUSTOMER }])]), SB);
  const [conv] = await t.database.query<{ id: string }>('select id from conversations where org_id = $1', [
    b.orgId,
  ]);
  await t.database.query(
    `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, status, sent_at)
     values ($1, $2, $3, 'out', 'wamid.B-OUT', 'text', '{}', 'sent', now())`,
    [b.orgId, b.numberId, conv!.id],
  );
  sim.addTemplate({
    waba_id: b.wabaId,
    name: 'spring_offer',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Your order {{1}} has shipped.' }],
  });
  expect((await b.client.post('/api/v1/templates/sync', {})).statusCode).toBe(200);
  const [tpl] = await t.database.query<{ id: string; meta_id: string }>(
    'select id, meta_id from templates where org_id = $1',
    [b.orgId],
  );
  templateId = tpl!.id;
  templateMetaId = tpl!.meta_id;
  const [camp] = await t.database.query<{ id: string }>(
    `insert into campaigns (org_id, number_id, name, state, audience, templates)
     values ($1, $2, 'Spring', 'running', '{}', $3::jsonb) returning id`,
    [b.orgId, b.numberId, JSON.stringify([{ template_id: templateId }])],
  );
  campaignId = camp!.id;
}, 60_000);
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** Everything of B that a forged change could touch, as one comparable snapshot. */
async function snapshotOfB() {
  const q = <T>(sql: string) => t.database.query<T>(sql, [b.orgId]);
  return {
    messages: await q('select wamid, status, error from messages where org_id = $1 order by wamid'),
    contacts: await q('select wa_id, name from contacts where org_id = $1 order by wa_id'),
    statuses: await q(
      'select e.wamid, e.status, e.applied from message_status_events e join numbers n on n.id = e.number_id where n.org_id = $1 order by e.id',
    ),
    consent: await q('select wa_id, kind, source from opt_in_events where org_id = $1 order by id'),
    templates: await q('select status, category, quarantined from templates where org_id = $1'),
    campaigns: await q('select state, paused_reason from campaigns where org_id = $1'),
    tier: await q('select messaging_limit_tier from numbers where org_id = $1'),
    health: await q(
      `select h.source, h.event from number_health h join numbers n on n.id = h.number_id
       where n.org_id = $1 and h.source not in ('connect') order by h.id`,
    ),
    updates: await q('select field from meta_updates where org_id = $1 order by id'),
  };
}

const KINDS = [
  'an inbound message',
  'a failed status of a sent message',
  'a status carrying biz_opaque_callback_data (send reconciliation)',
  'a STOP opt-out',
  'a template status change (pauses campaigns)',
  'a template category change (quarantine)',
  'a quality and tier change of the number',
  'an account update',
] as const;

/** One body per kind of change Meta sends, each naming B's number or WABA. */
const forgeries = (): Record<(typeof KINDS)[number], unknown> => ({
  'an inbound message': envelope(b.wabaId, [
    messagesChange(b, [{ id: 'wamid.FORGED-IN', from: '16505550199' }]),
  ]),
  'a failed status of a sent message': envelope(b.wabaId, [
    statusesChange(b, [
      { id: 'wamid.B-OUT', status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] },
    ]),
  ]),
  'a status carrying biz_opaque_callback_data (send reconciliation)': envelope(b.wabaId, [
    statusesChange(b, [
      {
        id: 'wamid.B-LOST',
        status: 'sent',
        biz_opaque_callback_data: 'ow:7f1c1a2e-7a51-4f6e-8d0a-4c9e8c1f0b11',
      },
    ]),
  ]),
  'a STOP opt-out': envelope(b.wabaId, [
    messagesChange(b, [{ id: 'wamid.FORGED-STOP', from: CUSTOMER, text: 'STOP' }]),
  ]),
  'a template status change (pauses campaigns)': envelope(b.wabaId, [
    {
      field: 'message_template_status_update',
      value: {
        event: 'PAUSED',
        message_template_id: Number(templateMetaId),
        message_template_name: 'spring_offer',
        message_template_language: 'en_US',
        reason: 'LOW_QUALITY',
      },
    },
  ]),
  'a template category change (quarantine)': envelope(b.wabaId, [
    {
      field: 'template_category_update',
      value: {
        message_template_id: Number(templateMetaId),
        message_template_name: 'spring_offer',
        message_template_language: 'en_US',
        previous_category: 'UTILITY',
        new_category: 'MARKETING',
      },
    },
  ]),
  'a quality and tier change of the number': envelope(b.wabaId, [
    {
      field: 'phone_number_quality_update',
      value: { display_phone_number: b.display, event: 'DOWNGRADE', current_limit: 'TIER_250' },
    },
  ]),
  'an account update': envelope(b.wabaId, [
    { field: 'account_update', value: { event: 'ACCOUNT_RESTRICTION', restriction_info: [] } },
  ]),
});

describe(`a webhook acts only on numbers of the app that signed it, on ${settings.backend}`, () => {
  it.each(KINDS)('%s naming B, signed by A’s app, is stored but leaves B unchanged', async (kind) => {
    const before = await snapshotOfB();
    const { eventId, result } = await deliver(t, forgeries()[kind], SA);
    expect(await snapshotOfB()).toEqual(before);
    expect(result).toMatchObject({ messages: 0, statuses: 0, updates: 0 });
    expect(result.foreign).toEqual([
      expect.stringMatching(new RegExp(`^(${b.phoneId}|${b.wabaId}|${b.display})$`)),
    ]);
    const [ev] = await t.database.query<{ state: string }>('select state from webhook_events where id = $1', [
      eventId,
    ]);
    expect(ev!.state).toBe('processed');
    // B sees the attempt on its number; A (whose numbers it does not name) does not.
    const seen = (await b.client.get('/api/v1/webhook-events?limit=1')).json().data[0];
    expect(seen).toMatchObject({ id: eventId, result: { foreign: [expect.any(String)] } });
    expect(
      (await a.client.get('/api/v1/webhook-events?limit=50')).json().data.map((e: { id: number }) => e.id),
    ).not.toContain(eventId);
  });

  it('in one body, A’s own change applies and the change naming B does not', async () => {
    const { result } = await deliver(
      t,
      envelopes(
        envelope(a.wabaId, [messagesChange(a, [{ id: 'wamid.MIX-A', from: '16505550201' }])]),
        envelope(b.wabaId, [messagesChange(b, [{ id: 'wamid.MIX-B', from: '16505550202' }])]),
      ),
      SA,
    );
    expect(result).toMatchObject({ messages: 1, foreign: [b.phoneId] });
    expect(
      await countRows(t, `select 1 from messages where wamid = 'wamid.MIX-A' and org_id = $1`, [a.orgId]),
    ).toBe(1);
    expect(await countRows(t, `select 1 from messages where wamid = 'wamid.MIX-B'`)).toBe(0);
  });

  it('an agency: two organisations sharing one Meta app both receive what that app signs', async () => {
    const { result } = await deliver(
      t,
      envelope(c.wabaId, [messagesChange(c, [{ id: 'wamid.AGENCY-C', from: '16505550301' }])]),
      SA,
    );
    expect(result).toMatchObject({ messages: 1, foreign: [] });
    expect(
      await countRows(t, `select 1 from messages where wamid = 'wamid.AGENCY-C' and org_id = $1`, [c.orgId]),
    ).toBe(1);
  });

  it('the same changes signed by B’s own app apply (each kind can be seen)', async () => {
    const f = forgeries();
    for (const kind of KINDS) await deliver(t, f[kind], SB);
    const after = await snapshotOfB();
    expect(after.messages).toContainEqual(expect.objectContaining({ wamid: 'wamid.FORGED-IN' }));
    expect(after.messages).toContainEqual(
      expect.objectContaining({ wamid: 'wamid.B-OUT', status: 'failed' }),
    );
    expect(after.statuses).toContainEqual(expect.objectContaining({ wamid: 'wamid.B-LOST', applied: false }));
    expect(after.consent).toContainEqual({ wa_id: CUSTOMER, kind: 'opt_out', source: 'keyword' });
    expect(after.templates).toEqual([{ status: 'PAUSED', category: 'MARKETING', quarantined: true }]);
    expect(after.campaigns).toEqual([{ state: 'paused', paused_reason: expect.any(String) }]);
    expect(after.tier).toEqual([expect.objectContaining({ messaging_limit_tier: 'TIER_250' })]);
    expect(after.health.map((h) => (h as { source: string }).source)).toEqual([
      'phone_number_quality_update',
      'account_update',
    ]);
    expect(campaignId).toBeTruthy();
  });

  it('an event stored without a signature routes nothing; with its signer it routes', async () => {
    const payload = envelope(a.wabaId, [messagesChange(a, [{ id: 'wamid.STORED', from: '16505550401' }])]);
    const raw = Buffer.from(signWebhookBody(payload, SA).body);
    const unsigned = await t.app.services.inbound.processEvent(await t.app.services.inbound.store(raw));
    expect(unsigned).toMatchObject({ messages: 0, foreign: [a.phoneId] });
    const signed = await t.app.services.inbound.processEvent(
      await t.app.services.inbound.store(raw, { appSecret: SA }),
    );
    expect(signed).toMatchObject({ messages: 1, foreign: [] });
  });
});
