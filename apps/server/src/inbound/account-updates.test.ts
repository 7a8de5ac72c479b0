import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import {
  type MetaFixtureName,
  type MetaFixtureOverrides,
  metaFixture,
} from '../../test/helpers/meta-fixtures.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
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
  sim = await startSimulator({ seed: 5 }, NUMS);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  const owner = await t.owner();
  for (const [i, n] of NUMS.entries()) {
    ids.push(
      await connectNumber(owner, n, {
        appSecret: SECRET,
        displayName: `Line ${i + 1}`,
        verifyToken: `verify-${i}`,
      }),
    );
  }
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** Delivers one WABA-level notice (a fixture, for our WABA unless told) signed like Meta and processes it. */
const deliver = (name: MetaFixtureName, o: MetaFixtureOverrides = {}) =>
  deliverWebhook(t, metaFixture(name, { wabaId: WABA, ...o }), SECRET);

const lastEvent = async (type: string) =>
  (
    await t.database.query<{ payload: { data: Record<string, unknown> } }>(
      'select payload from events where org_id = $1 and type = $2 order by seq desc limit 1',
      [t.orgId, type],
    )
  )[0]?.payload.data;

describe(`template and account notices on ${settings.backend}`, () => {
  it('records a template status change once (replays too) and publishes template.status_updated', async () => {
    // abandoned_cart (en), id 1689556908129835, REJECTED for INVALID_FORMAT.
    const { eventId, result } = await deliver('template-status-rejected');
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
    // order_update (en_US): correct_category and new_category MARKETING, no previous_category.
    await deliver('template-category-announcement');
    expect(await lastEvent('template.category_updated')).toMatchObject({
      name: 'order_update',
      new_category: 'MARKETING',
      correct_category: 'MARKETING',
      previous_category: null,
    });
    // order_update (en_US): UTILITY → MARKETING.
    await deliver('template-category-update');
    expect(await lastEvent('template.category_updated')).toMatchObject({
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
      correct_category: null,
    });
  });

  it('publishes template quality changes', async () => {
    // welcome_template (en_US): GREEN → YELLOW.
    await deliver('template-quality-update');
    expect(await lastEvent('template.quality_updated')).toMatchObject({
      name: 'welcome_template',
      previous_quality: 'GREEN',
      new_quality: 'YELLOW',
    });
  });

  it('a quality update reaches only the number it names, and updates its messaging limit', async () => {
    // UPGRADE from TIER_1K to TIER_10K, naming the second number.
    await deliver('phone-number-quality-update', { displayPhone: '15550500002' });
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
    const { result } = await deliver('account-update-restriction');
    expect(result.updates).toBe(1);
    const history = await t.database.query<{ number_id: string }>(
      `select number_id from number_health where source = 'account_update' and event = 'ACCOUNT_RESTRICTION'`,
    );
    expect(history.map((h) => h.number_id).sort()).toEqual([...ids].sort());
  });

  it('a notice for an account we do not have is kept and flagged, never fatal', async () => {
    const { eventId, result } = await deliver('template-status-approved', {
      wabaId: '9999999',
      value: { message_template_id: 1, message_template_name: 'x', message_template_language: 'en' },
    });
    expect(result.unroutable).toEqual(['9999999']);
    const [ev] = await t.database.query<{ state: string }>('select state from webhook_events where id = $1', [
      eventId,
    ]);
    expect(ev!.state).toBe('processed');
  });
});
