import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { type OnCommit, queryRows, transaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import { insertCampaignChunk } from '../messages/repo.ts';
import type { CampaignRow } from './campaign-row.ts';
import type { CampaignDeps } from './context.ts';
import {
  campaignFedPart,
  completeFinished,
  nextToFeed,
  pauseRunningWhere,
  skipDeletedContacts,
  stateIs,
} from './repo.ts';
import { countsOf } from './view.ts';

/** Recipients queued per feed of a running campaign. */
const FEED_CHUNK = 2000;
/** Most queued sends a running campaign keeps ahead of its sender. */
const FEED_AHEAD = 20_000;
/** Least time between two progress events of one campaign. */
const PROGRESS_MS = 1000;
/**
 * Least time between two progress events with delivery and read counts while sending (they join the
 * sent recipients with their messages: a few hundred ms at 100k; every state change has them too).
 */
const FULL_PROGRESS_MS = 15_000;

/**
 * A running campaign's side of the sender: the feed that keeps its recipients on the send queue
 * ahead of the sending, its progress, its completion, and the pauses the rest of the server asks
 * for (a template or token refused). Also the note to a campaign's creator when it moves.
 */
export function createCampaignProgress(
  deps: Pick<CampaignDeps, 'db' | 'events' | 'notifications' | 'log' | 'rateOf' | 'billing'>,
) {
  const { db, events, notifications, log, billing } = deps;
  const lastProgress = new Map<string, number>();
  const lastFullProgress = new Map<string, number>();
  /** Campaigns whose progress is being counted and published now (in the background of the sender). */
  const publishing = new Set<string>();

  /**
   * Puts the next `limit` recipients past the feed cursor on the send queue, their messages pending
   * in their conversations, and moves the cursor past them (`insertCampaignChunk`, the cursor in the
   * same statement as the queue rows). Recipients are not rewritten: at or below the cursor, a pending
   * one is queued. The campaign row is locked by the caller, so the cursor is read and moved by one
   * feed at a time. Each message carries its expected cost; then the caps (the campaign's spend cap,
   * the organisation's daily messages and monthly spend) are checked with the chunk counted: one
   * crossed throws CAP_REACHED and the chunk is rolled back.
   */
  async function queueNext(tx: Tx, onCommit: OnCommit, c: CampaignRow, runOrder: number, limit: number) {
    const chunk = nextToFeed(c, limit);
    // A contact deleted since the campaign started has no conversation to be in: skipped, with why.
    await skipDeletedContacts(tx, chunk);
    await insertCampaignChunk(
      tx,
      c.org_id,
      { numberId: c.number_id, campaignId: c.id, runOrder, templates: c.templates },
      chunk,
      campaignFedPart(c.id),
      await billing.chunkPricing(c.templates, tx),
    );
    await billing.checkCaps(tx, onCommit, c.org_id, c);
  }

  async function notifyCreator(c: CampaignRow, title: string, message: string, type: string) {
    if (!c.created_by) return;
    await notifications
      .notify(
        { orgId: c.org_id, userIds: [c.created_by] },
        {
          type,
          title,
          message,
          actionUrl: `/campaigns/${c.id}`,
          relatedEntityType: 'campaign',
          relatedEntityId: c.id,
        },
      )
      .catch((err) => log.warn({ err }, 'campaign notification failed'));
  }

  /**
   * Queues the next chunk of every running campaign that still has ready recipients and fewer than
   * FEED_AHEAD sends waiting. The campaign row is locked while feeding (SKIP LOCKED: another worker
   * feeding it is left alone), so a recipient is queued once.
   */
  async function feed() {
    const due = await queryRows<{ id: string; org_id: string }>(
      db,
      sql`select k.id, k.org_id from campaigns k
          where k.state = 'running'
            and exists (select 1 from campaign_recipients r where r.campaign_id = k.id and ${stateIs('pending')})`,
    );
    for (const d of due) {
      const capped = await transaction(db, async (tx, onCommit) => {
        const [c] = await queryRows<CampaignRow & { run_order: number }>(
          tx,
          sql`select *, (extract(epoch from started_at) * 1000)::float8 as run_order from campaigns
              where id = ${d.id} and state = 'running' for update skip locked`,
        );
        if (!c) return;
        const [q] = await queryRows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from (select 1 from send_queue where campaign_id = ${d.id} limit ${FEED_AHEAD}) x`,
        );
        if ((q?.n ?? 0) >= FEED_AHEAD) return;
        await queueNext(tx, onCommit, c, Math.round(c.run_order), FEED_CHUNK);
      }).catch((err) => {
        if (err instanceof AppError && err.code === 'CAP_REACHED') return err;
        throw err;
      });
      // The next chunk would cross a cap: the campaign pauses (what is queued is still sent).
      if (capped) {
        await pauseRunning(
          d.org_id,
          sql`id = ${d.id}`,
          capped.message.replace(/^Not sent: /, 'Paused: '),
          'Raise the cap (Settings → Spend, or the campaign), then resume.',
        );
      }
    }
  }

  /** After the sender recorded outcomes: progress out, and a campaign with nothing left completes. */
  async function onActivity(ids: string[]) {
    const completed = await completeFinished(db, ids);
    for (const c of completed) {
      await publishProgress(c.id, true);
      const counts = await countsOf(db, c.id);
      await events.publish(c.org_id, [
        {
          type: 'campaign.completed',
          campaign_id: c.id,
          data: {
            campaign_id: c.id,
            name: c.name,
            sent: counts.sent,
            failed: counts.failed,
            skipped: counts.skipped + counts.invalid,
            total: counts.total,
          },
        },
      ]);
      await notifyCreator(
        c,
        `Campaign “${c.name}” completed`,
        `${counts.sent} sent, ${counts.failed} failed, ${counts.skipped + counts.invalid} left out.`,
        'campaign.completed',
      );
    }
    // Progress of the others is counted off the sender's path (the full counts join the sent
    // recipients with their messages: hundreds of ms at 100k, and recording outcomes must not wait).
    const done = new Set(completed.map((c) => c.id));
    const now = Date.now();
    for (const id of ids) {
      if (done.has(id) || publishing.has(id) || now - (lastProgress.get(id) ?? 0) < PROGRESS_MS) continue;
      publishing.add(id);
      void publishProgress(id, false)
        .catch((err) => log.warn({ err, campaignId: id }, 'publishing campaign progress failed'))
        .finally(() => publishing.delete(id));
    }
  }

  /**
   * Publishes `campaign.progress` to the campaign's organisation: at most every PROGRESS_MS while
   * sending, with the cheap counts (recipient states); delivery, read and failures reported by Meta
   * every FULL_PROGRESS_MS and on every state change.
   */
  async function publishProgress(id: string, force: boolean) {
    const now = Date.now();
    if (!force && now - (lastProgress.get(id) ?? 0) < PROGRESS_MS) return;
    lastProgress.set(id, now);
    const full = force || now - (lastFullProgress.get(id) ?? 0) >= FULL_PROGRESS_MS;
    if (full) lastFullProgress.set(id, now);
    const [c] = await queryRows<{ org_id: string; state: string; number_id: string }>(
      db,
      sql`select org_id, state, number_id from campaigns where id = ${id}`,
    );
    if (!c) return;
    const counts = await countsOf(db, id, !full);
    await events
      .publish(c.org_id, [
        {
          type: 'campaign.progress',
          campaign_id: id,
          data: {
            campaign_id: id,
            state: c.state,
            total: counts.total,
            queued: counts.queued,
            sent: counts.sent,
            ...(full ? { delivered: counts.delivered, read: counts.read } : {}),
            failed: counts.failed,
            skipped: counts.skipped + counts.invalid,
            rate: c.state === 'running' ? (deps.rateOf?.(c.number_id) ?? null) : null,
          },
        },
      ])
      .catch(() => {});
    if (['completed', 'stopped', 'failed'].includes(c.state)) {
      lastProgress.delete(id);
      lastFullProgress.delete(id);
    }
  }

  /** Running campaigns matching `which` pause, each with the reason and a note to its creator. */
  async function pauseRunning(orgId: string, which: SQL, reason: string, advice: string) {
    const paused = await pauseRunningWhere(db, orgId, which, reason);
    for (const c of paused) {
      await publishProgress(c.id, true);
      await notifyCreator(c, `Campaign “${c.name}” paused`, `${reason}. ${advice}`, 'campaign.paused');
    }
    return paused.length;
  }

  /** Meta refused the number's token: its running campaigns pause until it is replaced. */
  const pauseForNumber = (orgId: string, numberId: string, reason: string) =>
    pauseRunning(
      orgId,
      sql`number_id = ${numberId}`,
      `The number's access token was refused: ${reason}`,
      'Replace the token, then resume.',
    );

  /** A template can no longer be sent (quarantined, or paused/disabled by Meta): campaigns using it pause. */
  const pauseForTemplate = (orgId: string, templateId: string, reason: string) =>
    pauseRunning(
      orgId,
      sql`templates @> ${JSON.stringify([{ template_id: templateId }])}::jsonb`,
      reason,
      'Review the template, then resume.',
    );

  /** Meta refused a campaign's template at send time (paused, disabled, gone): the campaign pauses. */
  const pauseForTemplateError = (orgId: string, campaignIds: string[], reason: string) =>
    pauseRunning(
      orgId,
      sql`id = any(${sql.param(campaignIds)}::uuid[])`,
      `Meta refused its template: ${reason}`,
      'Check the template in Templates, then resume.',
    );

  return {
    queueNext,
    notifyCreator,
    feed,
    onActivity,
    publishProgress,
    pauseForNumber,
    pauseForTemplate,
    pauseForTemplateError,
  };
}
export type CampaignProgress = ReturnType<typeof createCampaignProgress>;
