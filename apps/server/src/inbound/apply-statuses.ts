import type { DomainEvent } from '@openwaba/contracts';
import { statusPricingOf } from '../billing/status-pricing.ts';
import type { Tx } from '../db/client.ts';
import {
  applyMessageStatuses,
  insertStatusEvents,
  type MessagePricing,
  recordMessagePricing,
  type StatusEventRow,
} from '../messages/repo.ts';
import { STATUS_RANK } from '../messages/status-rank.ts';
import { cmp } from './apply-messages.ts';
import { type EventPlan, tally } from './plan.ts';

/**
 * Records every status (once: unique by message, status and time) and applies, per message, the
 * best of the batch unless it would move the message backwards (failed is final); a status for a
 * message not recorded yet is parked.
 */
export async function applyStatuses(
  tx: Tx,
  plans: EventPlan[],
  publish: (orgId: string, e: DomainEvent) => void,
) {
  type Incoming = {
    plan: EventPlan;
    orgId: string;
    row: Omit<StatusEventRow, 'ord'>;
    error: unknown;
    ord: number;
  };
  const list: Incoming[] = [];
  const seen = new Set<string>();
  for (const plan of plans) {
    for (const { number, change } of plan.changes) {
      for (const s of change.statuses) {
        const occurredAt = new Date(s.occurredAtMs).toISOString();
        const key = `${number.id} ${s.wamid} ${s.status} ${occurredAt}`;
        // A copy within the batch is a duplicate, as the unique constraint would make it.
        if (seen.has(key)) continue;
        seen.add(key);
        list.push({
          plan,
          orgId: number.orgId,
          ord: 0,
          error: s.error,
          row: {
            number_id: number.id,
            wamid: s.wamid,
            status: s.status,
            occurred_at: occurredAt,
            payload: s.raw,
          },
        });
      }
    }
  }
  if (!list.length) return;
  list.sort((a, b) => cmp(a.row.number_id, b.row.number_id) || cmp(a.row.wamid, b.row.wamid));
  list.forEach((x, ord) => {
    x.ord = ord;
  });
  const recorded = await insertStatusEvents(
    tx,
    list.map((x) => ({ ...x.row, ord: x.ord })),
  );
  const applied: string[] = [];
  const best = new Map<string, Incoming>();
  // What Meta billed (a status's `pricing`), recorded whatever the status's rank: the latest wins.
  const pricing = new Map<string, MessagePricing>();
  for (const r of recorded) {
    const x = list[r.ord]!;
    tally(x.plan, x.orgId, 'statuses');
    if (!r.message_id) {
      tally(x.plan, x.orgId, 'parked');
      continue;
    }
    applied.push(r.id);
    const billed = statusPricingOf(x.row.payload);
    if (billed) pricing.set(r.message_id, { message_id: r.message_id, ...billed });
    // The same rule as one by one: the highest rank wins (the first of equals), failed is final.
    const prev = best.get(r.message_id);
    const status = x.row.status;
    if (!prev || (STATUS_RANK[status] ?? 0) > (STATUS_RANK[prev.row.status] ?? 0)) {
      best.set(r.message_id, x);
    }
  }
  if (!applied.length) return;
  await recordMessagePricing(tx, [...pricing.values()]);
  const updates = [...best].map(([messageId, x]) => ({
    message_id: messageId,
    status: x.row.status,
    error: x.error,
  }));
  const updated = await applyMessageStatuses(tx, updates, applied);
  for (const u of updated) {
    publish(u.org_id, {
      type: 'message.status_updated',
      conversation_id: u.conversation_id,
      data: { message_id: u.id, status: u.status, conversation_id: u.conversation_id },
    });
  }
}
