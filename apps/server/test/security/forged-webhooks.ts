import { INBOUND_KINDS, OTHER_KINDS } from '@openwaba/simulator';
import { type Drillground, deliverSigned, envelopeOf } from './seed.ts';
import { changedTables, snapshotOrg } from './snapshot.ts';

/**
 * Forged webhooks: every change kind Meta sends (the simulator builds each one, shaped like Meta's),
 * naming organisation A's number or WABA — and A's real objects: its customer, its sent message, its
 * template — but signed with organisation B's app secret (B connected a number of its own with it).
 * A forged change is applied when any of A's rows changes (the raw event itself is stored in
 * `webhook_events`, which belongs to no organisation). A control signed with A's own secret must apply.
 */
export interface ForgedResult {
  kinds: number;
  posts: number;
  applied: { kind: string; tables: string[]; status: number; error?: string }[];
  /** The same kind of change signed with A's own secret changed A (the drill can see an applied change). */
  controlApplied: boolean;
}

const ACCOUNT_EVENTS = [
  'ACCOUNT_VIOLATION',
  'ACCOUNT_RESTRICTION',
  'DISABLED_UPDATE',
  'PARTNER_REMOVED',
  'VOLUME_BASED_PRICING_TIER_UPDATE',
];

export async function runForgedWebhooks(g: Drillground): Promise<ForgedResult> {
  const { t, sim, a, b } = g;
  const target = { phone_number_id: a.spec.phoneNumberId, wa_id: a.customers[1]! };
  const template = sim.templates().find((x) => x.waba_id === a.spec.wabaId && x.name === 'order_update');
  if (!template) throw new Error('forged webhooks: A has no order_update template in the simulator');
  const tpl = { template_id: template.id };

  /** Each case: a name and a change naming A (built fresh, so each has its own message ids). */
  const cases: [string, () => { field: string; value: Record<string, unknown> } | undefined][] = [];
  for (const kind of Object.keys(INBOUND_KINDS))
    cases.push([
      `messages:${kind}`,
      () => sim.customerSend(a.spec.phoneNumberId, target.wa_id, kind, {})?.change,
    ]);
  cases.push([
    'messages:text STOP (keyword opt-out)',
    () => sim.customerSend(a.spec.phoneNumberId, a.customers[0]!, 'text', { text: 'STOP' })?.change,
  ]);
  for (const kind of Object.keys(OTHER_KINDS)) {
    const params: Record<string, unknown> = kind.includes('template') ? { ...tpl } : {};
    if (kind === 'status')
      for (const status of ['delivered', 'read', 'failed'])
        cases.push([
          `statuses:${status} of A's sent message`,
          () =>
            sim.emitEvent(
              'status',
              { ...target, wa_id: a.customers[0]! },
              { wamid: a.sentWamid, status, error_code: 131026, biz_opaque_callback_data: 'forged' },
            ),
        ]);
    else if (kind === 'account_update')
      for (const event of ACCOUNT_EVENTS)
        cases.push([`account_update:${event}`, () => sim.emitEvent(kind, target, { event })]);
    else if (kind === 'message_template_status_update')
      for (const event of ['PAUSED', 'DISABLED', 'REJECTED'])
        cases.push([`${kind}:${event}`, () => sim.emitEvent(kind, target, { ...params, event })]);
    else if (kind === 'phone_number_quality_update')
      cases.push([
        `${kind}:DOWNGRADE`,
        () =>
          sim.emitEvent(kind, target, {
            event: 'DOWNGRADE',
            old_limit: 'TIER_1K',
            current_limit: 'TIER_250',
          }),
      ]);
    else if (kind === 'user_preferences')
      cases.push([
        `${kind}:stop`,
        () => sim.emitEvent(kind, { ...target, wa_id: a.customers[0]! }, { value: 'stop' }),
      ]);
    else cases.push([kind, () => sim.emitEvent(kind, target, params)]);
  }

  const result: ForgedResult = { kinds: cases.length, posts: 0, applied: [], controlApplied: false };
  for (const [kind, build] of cases) {
    const change = build();
    if (!change) throw new Error(`forged webhooks: the simulator built no ${kind}`);
    const before = await snapshotOrg(t.database, a.orgId);
    const r = await deliverSigned(t, envelopeOf(a.spec.wabaId, change), b.spec.appSecret);
    result.posts++;
    const tables = changedTables(before, await snapshotOrg(t.database, a.orgId));
    if (tables.length)
      result.applied.push({ kind, tables, status: r.status, ...(r.error ? { error: r.error } : {}) });
  }

  const before = await snapshotOrg(t.database, a.orgId);
  const control = sim.customerSend(a.spec.phoneNumberId, target.wa_id, 'text', { text: 'control' })!.change;
  await deliverSigned(t, envelopeOf(a.spec.wabaId, control), a.spec.appSecret);
  result.controlApplied = changedTables(before, await snapshotOrg(t.database, a.orgId)).length > 0;
  return result;
}
