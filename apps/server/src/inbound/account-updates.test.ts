import { createSimulator, type Simulator, signWebhookBody } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';

const WABA = '5000001';
const NUMS = [
  {
    phone_number_id: '5100001',
    waba_id: WABA,
    display_phone_number: '+1 555 050 0001',
    access_token: 'tok-acc-1',
  },
  {
    phone_number_id: '5100002',
    waba_id: WABA,
    display_phone_number: '+1 555 050 0002',
    access_token: 'tok-acc-2',
  },
];
const SECRET = 'account-updates-secret';

let sim: Simulator;
let t: TestApp;
const ids: string[] = [];

beforeAll(async () => {
  sim = await createSimulator({ seed: 5 });
  await sim.listen(0);
  for (const n of NUMS) sim.addNumber(n);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  const owner = await t.owner();
  for (const [i, n] of NUMS.entries()) {
    const res = await owner.post('/api/v1/numbers', {
      display_name: `Line ${i + 1}`,
      phone_number_id: n.phone_number_id,
      waba_id: n.waba_id,
      access_token: n.access_token,
      app_secret: SECRET,
      verify_token: `verify-${i}`,
    });
    expect(res.statusCode, res.body).toBe(201);
    ids.push(res.json().id);
  }
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** Delivers one WABA-level change signed like Meta and processes it. */
async function deliver(field: string, value: Record<string, unknown>, waba = WABA) {
  const payload = {
    object: 'whatsapp_business_account',
    entry: [{ id: waba, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] }],
  };
  const { body, signature } = signWebhookBody(payload, SECRET);
  const res = await t.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
  expect(res.statusCode).toBe(200);
  const [ev] = await t.database.query<{ id: string }>('select max(id) as id from webhook_events');
  const eventId = Number(ev!.id);
  return { eventId, result: await t.app.services.inbound.processEvent(eventId) };
}

const lastEvent = async (type: string) =>
  (
    await t.database.query<{ payload: { data: Record<string, unknown> } }>(
      'select payload from events where org_id = $1 and type = $2 order by seq desc limit 1',
      [t.orgId, type],
    )
  )[0]?.payload.data;

describe(`template and account notices on ${settings.backend}`, () => {
  it('records a template status change once (replays too) and publishes template.status_updated', async () => {
    const value = {
      event: 'REJECTED',
      message_template_id: 1689556908129835,
      message_template_name: 'abandoned_cart',
      message_template_language: 'en',
      reason: 'INVALID_FORMAT',
      message_template_category: 'MARKETING',
    };
    const { eventId, result } = await deliver('message_template_status_update', value);
    expect(result.updates).toBe(1);
    expect(await lastEvent('template.status_updated')).toEqual({
      waba_id: WABA,
      template_id: '1689556908129835',
      name: 'abandoned_cart',
      language: 'en',
      status: 'REJECTED',
      reason: 'INVALID_FORMAT',
    });
    const replay = await t.app.services.inbound.processEvent(eventId);
    expect(replay.updates).toBe(0);
    const rows = await t.database.query('select 1 from meta_updates where webhook_event_id = $1', [eventId]);
    expect(rows).toHaveLength(1);
  });

  it('publishes category changes, including announcements of an impending change', async () => {
    await deliver('template_category_update', {
      message_template_id: 12345678,
      message_template_name: 'order_update',
      message_template_language: 'en_US',
      correct_category: 'MARKETING',
      new_category: 'MARKETING',
      category_update_timestamp: 1750344882,
    });
    expect(await lastEvent('template.category_updated')).toMatchObject({
      name: 'order_update',
      new_category: 'MARKETING',
      correct_category: 'MARKETING',
      previous_category: null,
    });
    await deliver('template_category_update', {
      message_template_id: 12345678,
      message_template_name: 'order_update',
      message_template_language: 'en_US',
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
    });
    expect(await lastEvent('template.category_updated')).toMatchObject({
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
      correct_category: null,
    });
  });

  it('publishes template quality changes', async () => {
    await deliver('message_template_quality_update', {
      previous_quality_score: 'GREEN',
      new_quality_score: 'YELLOW',
      message_template_id: 806312974732579,
      message_template_name: 'welcome_template',
      message_template_language: 'en_US',
    });
    expect(await lastEvent('template.quality_updated')).toMatchObject({
      name: 'welcome_template',
      previous_quality: 'GREEN',
      new_quality: 'YELLOW',
    });
  });

  it('a quality update reaches only the number it names, and updates its messaging limit', async () => {
    await deliver('phone_number_quality_update', {
      display_phone_number: '15550500002',
      event: 'UPGRADE',
      old_limit: 'TIER_1K',
      current_limit: 'TIER_10K',
    });
    const rows = await t.database.query<{ id: string; messaging_limit_tier: string | null }>(
      'select id, messaging_limit_tier from numbers where id = any($1::uuid[]) order by display_name',
      [ids],
    );
    expect(rows.find((r) => r.id === ids[1])!.messaging_limit_tier).toBe('TIER_10K');
    expect(rows.find((r) => r.id === ids[0])!.messaging_limit_tier).not.toBe('TIER_10K');
    const history = await t.database.query<{ number_id: string; event: string; quality_rating: string }>(
      `select number_id, event, quality_rating from number_health where source = 'phone_number_quality_update'`,
    );
    expect(history).toEqual([{ number_id: ids[1], event: 'UPGRADE', quality_rating: 'GREEN' }]);
    expect(await lastEvent('number.health_updated')).toEqual({
      number_id: ids[1],
      source: 'phone_number_quality_update',
    });
  });

  it('an account update is recorded for every number of the account', async () => {
    const { result } = await deliver('account_update', {
      event: 'ACCOUNT_RESTRICTION',
      restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: 1641330498 }],
    });
    expect(result.updates).toBe(1);
    const history = await t.database.query<{ number_id: string }>(
      `select number_id from number_health where source = 'account_update' and event = 'ACCOUNT_RESTRICTION'`,
    );
    expect(history.map((h) => h.number_id).sort()).toEqual([...ids].sort());
  });

  it('a notice for an account we do not have is kept and flagged, never fatal', async () => {
    const { eventId, result } = await deliver(
      'message_template_status_update',
      {
        event: 'APPROVED',
        message_template_id: 1,
        message_template_name: 'x',
        message_template_language: 'en',
      },
      '9999999',
    );
    expect(result.unroutable).toEqual(['9999999']);
    const [ev] = await t.database.query<{ state: string }>('select state from webhook_events where id = $1', [
      eventId,
    ]);
    expect(ev!.state).toBe('processed');
  });
});
