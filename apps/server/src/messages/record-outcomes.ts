import { recipientsFailedPart, recipientsSentPart } from '../campaigns/repo.ts';
import type { Db } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import type { NumberService } from '../numbers/service.ts';
import { failSends, markSendsUnknown, markSent, releaseSends, retrySends } from './queue-repo.ts';
import { type CompletedSend, sortResults } from './send-result.ts';
import { campaignsOf, type SenderHooks } from './sender-hooks.ts';

/**
 * Records a batch of one number's send results: accepted sends in one statement, the rest in one
 * transaction; then failures are published, a refused token or template is reported (the number
 * goes inactive, campaigns pause) and campaigns hear that their sends moved.
 */
export function createOutcomeRecorder(deps: {
  db: Db;
  numbers: NumberService;
  events: EventService;
  hooks?: SenderHooks | undefined;
  retryDelays: readonly number[];
}) {
  const { db, numbers, events } = deps;

  return async function recordOutcomes(numberId: string, done: CompletedSend[]) {
    if (!done.length) return;
    const { sent, failed, retry, unknown, token, template } = sortResults(done, deps.retryDelays);
    if (sent.length) await markSent(db, numberId, sent, recipientsSentPart);
    const others = failed.length + retry.length + unknown.length + token.length + template.length;
    if (others)
      await transaction(db, async (tx) => {
        if (failed.length) await failSends(tx, failed, recipientsFailedPart);
        if (retry.length) await retrySends(tx, retry);
        if (unknown.length) await markSendsUnknown(tx, unknown);
        // Not sent: released as they were, to go when the token is replaced or the campaign resumed.
        if (token.length || template.length)
          await releaseSends(
            tx,
            [...token, ...template].map((d) => d.row.id),
          );
      });
    for (const f of failed) {
      await events
        .publish(f.row.org_id, [
          { type: 'message.status_updated', data: { message_id: f.row.message_id, status: 'failed' } },
        ])
        .catch(() => {});
    }
    if (token.length) {
      const first = token[0]!;
      const n = await numbers.rowForSender(numberId);
      if (n) await numbers.handleGraphError(n, first.error);
      await deps.hooks?.onTokenError?.(first.row.org_id, numberId, first.error);
    }
    if (template.length) {
      // One number, one organisation.
      const first = template[0]!;
      const ids = [...new Set(template.map((d) => d.row.campaign_id!))];
      await deps.hooks?.onTemplateError?.(first.row.org_id, ids, first.error);
    }
    const campaignIds = campaignsOf(done.map((d) => d.row));
    if (campaignIds.length) await deps.hooks?.onCampaignActivity?.(campaignIds);
  };
}
