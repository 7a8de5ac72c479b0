import { failRecipients, recipientsSentPart } from '../campaigns/repo.ts';
import type { Db } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import type { Log } from '../lib/log.ts';
import {
  type ClaimedSend,
  expireSendLeases,
  findUnknownSendsAnswered,
  giveUpSends,
  markSent,
  requeueUnknownSends,
} from './queue-repo.ts';
import { applyParkedStatuses, findLateParkedStatuses } from './repo.ts';
import { campaignsOf, type SenderHooks } from './sender-hooks.ts';

/**
 * The sender's sweep (every second, any process): claims a dead worker left (lease ran out) become
 * "unknown"; unknown attempts whose status webhook arrived (it carries the attempt id) are recorded
 * as sent; those still unknown after the reconcile window go back to the queue with a new attempt id
 * — or fail after the last attempt. Statuses parked while their send was being recorded are applied.
 */
export function createReconciler(deps: {
  db: Db;
  log: Log;
  hooks?: SenderHooks | undefined;
  retryDelays: readonly number[];
  reconcileWindowSeconds: number;
}) {
  const { db, log, retryDelays } = deps;

  return async function sweep() {
    await expireSendLeases(db);
    const found = await findUnknownSendsAnswered(db);
    const byNumber = new Map<string, (ClaimedSend & { wamid: string })[]>();
    for (const f of found) byNumber.set(f.number_id, [...(byNumber.get(f.number_id) ?? []), f]);
    for (const [numberId, items] of byNumber) {
      await markSent(
        db,
        numberId,
        items.map((row) => ({ row, wamid: row.wamid })),
        recipientsSentPart,
      );
      log.info({ numberId, count: items.length }, 'sends with a lost answer reconciled from status webhooks');
      const campaignIds = campaignsOf(items);
      if (campaignIds.length) await deps.hooks?.onCampaignActivity?.(campaignIds);
    }
    // Statuses parked while their send was being recorded (the webhook's transaction and the
    // sender's overlapped, so neither saw the other): their message has its wamid now.
    const late = await findLateParkedStatuses(db);
    for (const l of late) await transaction(db, (tx) => applyParkedStatuses(tx, l.number_id, l.wamid));
    const expired = await requeueUnknownSends(db, deps.reconcileWindowSeconds);
    const spent = expired.filter((e) => e.attempts > retryDelays.length);
    if (spent.length) {
      const reason = `outcome unknown after ${retryDelays.length + 1} attempts (no answer and no status webhook)`;
      await transaction(db, async (tx) => {
        await giveUpSends(tx, spent, reason);
        await failRecipients(tx, spent, reason);
      });
    }
    if (expired.length)
      log.warn({ count: expired.length }, 'sends with an unknown outcome retried after the reconcile window');
  };
}
