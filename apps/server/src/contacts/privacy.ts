import type { ConsentSource, ContactDataExport, ContactErasure } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { notFound } from '../lib/errors.ts';
import type { MediaService } from '../media/service.ts';
import { toConsentEvent } from './consent.ts';
import type { ContactService } from './service.ts';
import type { Tombstones } from './tombstones.ts';

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/**
 * A contact's personal data on request (GDPR): everything held about them as JSON (access), and
 * erasure — messages and their files, notes, conversations, campaign recipient rows, stored webhook
 * bodies that concern only them, the contact, and their consent ledger except what the law asks to
 * keep: an opt-out stays as proof under a hashed phone (see tombstones.ts), so a phone that comes
 * back is not messaged again. The audit log keeps that the erasure happened, not who it was about.
 */
export function createContactPrivacy(deps: {
  db: Db;
  contacts: ContactService;
  tombstones: Tombstones;
  media: MediaService;
  events: EventService;
}) {
  const { db, contacts, tombstones, media, events } = deps;

  /** The contact's conversations (on `messages m`): every message of them. */
  const messagesOf = (orgId: string, contactId: string): SQL =>
    sql`m.conversation_id in (select id from conversations where org_id = ${orgId} and contact_id = ${contactId})`;
  /** Recipient rows of the organisation's campaigns for this contact (by phone: the campaign index). */
  const recipientsOf = (orgId: string, contactId: string, waId: string): SQL =>
    sql`r.org_id = ${orgId} and r.campaign_id in (select id from campaigns where org_id = ${orgId})
        and (r.wa_id = ${waId} or r.contact_id = ${contactId})`;

  async function exportData(ctx: Pick<AuthContext, 'orgId'>, contactId: string): Promise<ContactDataExport> {
    const orgId = ctx.orgId;
    const contact = await contacts.get(ctx, contactId);
    const q = (query: SQL) => queryRows<Row>(db, query);
    const [ledger, convs, msgs, notes, sends, files, changes] = await Promise.all([
      q(sql`select e.id, e.contact_id, e.wa_id, e.kind, e.source, e.proof, e.actor_user_id, u.email as actor_email,
                   e.message_id, e.created_at
            from opt_in_events e left join users u on u.id = e.actor_user_id
            where e.org_id = ${orgId} and e.wa_id = ${contact.wa_id} order by e.id`),
      q(sql`select id, number_id, status, created_at, last_message_at from conversations
            where org_id = ${orgId} and contact_id = ${contactId} order by created_at, id`),
      q(sql`select m.id, m.conversation_id, m.direction, m.type, m.content, m.status, m.error, m.source, m.sent_at
            from messages m where m.org_id = ${orgId} and ${messagesOf(orgId, contactId)} order by m.sent_at, m.seq`),
      q(sql`select n.id, n.conversation_id, u.email as author_email, n.body, n.created_at
            from conversation_notes n left join users u on u.id = n.author_id
            where n.org_id = ${orgId} and n.conversation_id in
                  (select id from conversations where org_id = ${orgId} and contact_id = ${contactId})
            order by n.created_at, n.id`),
      q(sql`select r.campaign_id, k.name as campaign_name, r.reason, r.params, r.sent_at,
                   case when r.state = 'pending' and r.id <= k.fed_through then 'queued' else r.state end as state
            from campaign_recipients r join campaigns k on k.id = r.campaign_id
            where ${recipientsOf(orgId, contactId, contact.wa_id)} order by r.id`),
      q(sql`select f.message_id, f.state, f.mime_type, f.size, f.sha256, f.created_at
            from media_files f join messages m on m.id = f.message_id
            where f.org_id = ${orgId} and ${messagesOf(orgId, contactId)} order by f.created_at`),
      q(sql`select action, before, after, created_at from audit_log
            where org_id = ${orgId} and entity_type = 'contact' and entity_id = ${contactId} order by id`),
    ]);
    const byConv = <T>(rows: Row[], map: (r: Row) => T) => {
      const out = new Map<string, T[]>();
      for (const r of rows) {
        const k = r.conversation_id as string;
        out.set(k, [...(out.get(k) ?? []), map(r)]);
      }
      return out;
    };
    const messagesBy = byConv(msgs, (m) => ({
      id: m.id as string,
      direction: m.direction as 'in' | 'out',
      type: m.type as string,
      content: m.content,
      status: (m.status as string | null) ?? null,
      error: m.error ?? null,
      source: (m.source as string | null) ?? null,
      sent_at: iso(m.sent_at)!,
    }));
    const notesBy = byConv(notes, (n) => ({
      id: n.id as string,
      author_email: (n.author_email as string | null) ?? null,
      body: n.body as string,
      created_at: iso(n.created_at)!,
    }));
    return {
      exported_at: new Date().toISOString(),
      contact,
      consent: ledger.map((r) => toConsentEvent(r as unknown as Parameters<typeof toConsentEvent>[0])),
      conversations: convs.map((c) => ({
        id: c.id as string,
        number_id: c.number_id as string,
        status: c.status as string,
        created_at: iso(c.created_at)!,
        last_message_at: iso(c.last_message_at),
        messages: messagesBy.get(c.id as string) ?? [],
        notes: notesBy.get(c.id as string) ?? [],
      })),
      campaign_sends: sends.map((r) => ({
        campaign_id: r.campaign_id as string,
        campaign_name: r.campaign_name as string,
        state: r.state as string,
        reason: (r.reason as string | null) ?? null,
        params: r.params ?? null,
        sent_at: iso(r.sent_at),
      })),
      media: files.map((f) => ({
        message_id: f.message_id as string,
        state: f.state as string,
        mime_type: (f.mime_type as string | null) ?? null,
        size: f.size === null ? null : Number(f.size),
        sha256: (f.sha256 as string | null) ?? null,
        created_at: iso(f.created_at)!,
      })),
      changes: changes.map((a) => ({
        action: a.action as string,
        before: a.before ?? null,
        after: a.after ?? null,
        at: iso(a.created_at)!,
      })),
    };
  }

  /** `count(*)` of a `delete … returning 1` (or any query). */
  const countOf = async (tx: Tx, query: SQL) => {
    const [r] = await queryRows<{ n: number }>(
      tx,
      sql`with x as (${query}) select count(*)::int as n from x`,
    );
    return r?.n ?? 0;
  };

  async function erase(ctx: AuthContext, contactId: string): Promise<ContactErasure> {
    const orgId = ctx.orgId;
    return transaction(db, async (tx, onCommit) => {
      // Locked: an inbound message of the phone meanwhile waits, then makes a new contact.
      const [contact] = await queryRows<{ wa_id: string }>(
        tx,
        sql`select wa_id from contacts where org_id = ${orgId} and id = ${contactId} for update`,
      );
      if (!contact) throw notFound('Contact');
      const waId = contact.wa_id;
      const inConvs = messagesOf(orgId, contactId);
      const files = await media.filesOf(tx, orgId, inConvs);
      const mediaFiles = await countOf(
        tx,
        sql`select 1 from media_files f join messages m on m.id = f.message_id where f.org_id = ${orgId} and ${inConvs}`,
      );
      const messages = await countOf(
        tx,
        sql`select 1 from messages m where m.org_id = ${orgId} and ${inConvs}`,
      );
      const notes = await countOf(
        tx,
        sql`select 1 from conversation_notes n where n.org_id = ${orgId} and n.conversation_id in
              (select id from conversations where org_id = ${orgId} and contact_id = ${contactId})`,
      );
      // Statuses name the customer (recipient_id); they are found by their messages' ids.
      await tx.execute(
        sql`delete from message_status_events s using messages m
            where m.org_id = ${orgId} and ${inConvs} and m.wamid is not null
              and s.number_id = m.number_id and s.wamid = m.wamid`,
      );

      // Consent: the latest choice decides what is kept. An opt-out is kept as proof (hashed phone);
      // anything else needs no keeping, and an older tombstone of the phone is superseded by it.
      const [latest] = await queryRows<{
        kind: string;
        source: string;
        proof: string | null;
        created_at: Date | string;
      }>(
        tx,
        sql`select kind, source, proof, created_at from opt_in_events
            where org_id = ${orgId} and wa_id = ${waId} order by id desc limit 1`,
      );
      if (latest?.kind === 'opt_out') {
        await tombstones.keep(tx, orgId, waId, {
          optedOutAt: new Date(latest.created_at).toISOString(),
          source: latest.source as ConsentSource,
          proof: latest.proof,
        });
      } else if (latest) await tombstones.forget(tx, orgId, waId);
      const optOutKept = latest
        ? latest.kind === 'opt_out'
        : (await tombstones.find(tx, orgId, [waId])).size > 0;
      const consentEvents = await countOf(
        tx,
        sql`delete from opt_in_events where org_id = ${orgId} and wa_id = ${waId} returning 1`,
      );
      const campaignRecipients = await countOf(
        tx,
        sql`delete from campaign_recipients r where ${recipientsOf(orgId, contactId, waId)} returning 1`,
      );
      // Sends still waiting for them, and import reject rows that hold the phone.
      await tx.execute(sql`delete from send_queue where org_id = ${orgId} and to_wa_id = ${waId}`);
      await tx.execute(
        sql`delete from contact_import_rejects where org_id = ${orgId} and value in (${`+${waId}`}, ${waId})`,
      );
      // Notifications about their conversations (a mention quotes the note about them).
      await tx.execute(
        sql`delete from notifications where org_id = ${orgId} and related_entity_type = 'conversation'
              and related_entity_id in (select id::text from conversations where org_id = ${orgId} and contact_id = ${contactId})`,
      );
      const conversations = await countOf(
        tx,
        sql`select 1 from conversations where org_id = ${orgId} and contact_id = ${contactId}`,
      );
      // Conversations, messages, media rows, notes, reads and tags go with the contact (cascade).
      await tx.execute(sql`delete from contacts where org_id = ${orgId} and id = ${contactId}`);
      // Raw webhook bodies that name the phone and concern only this organisation (a body shared with
      // another organisation is theirs too; it goes with retention). A scan, but erasures are rare.
      const webhookEvents = await countOf(
        tx,
        sql`delete from webhook_events where org_ids = array[${orgId}]::uuid[] and state <> 'pending'
              and raw like ${`%"${waId}"%`} returning 1`,
      );
      // Earlier audit entries about the contact keep what was done and when, not the person's data.
      await tx.execute(
        sql`update audit_log set before = case when before is null then null else '{"erased": true}'::jsonb end,
                                 after = case when after is null then null else '{"erased": true}'::jsonb end
            where org_id = ${orgId} and entity_type = 'contact' and entity_id = ${contactId}`,
      );
      const deleted = {
        conversations,
        messages,
        media_files: mediaFiles,
        notes,
        campaign_recipients: campaignRecipients,
        consent_events: consentEvents,
        webhook_events: webhookEvents,
      };
      await recordAudit(tx, actorOf(ctx), {
        action: 'contact.erase',
        entityType: 'contact',
        entityId: contactId,
        after: { deleted, opt_out_kept: optOutKept },
      });
      onCommit(() => events.publish(orgId, [{ type: 'contact.deleted', data: { contact_id: contactId } }]));
      onCommit(() => media.releaseFiles(orgId, files, { dropUploads: true }));
      return { erased: true as const, deleted, opt_out_kept: optOutKept };
    });
  }

  return { exportData, erase };
}
export type ContactPrivacy = ReturnType<typeof createContactPrivacy>;
