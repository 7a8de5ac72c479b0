import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../src/config.ts';
import type { Database } from '../src/db/client.ts';
import { createDirMediaStore } from '../src/media/dir.store.ts';

/**
 * Inbox data written straight into the database, at chosen times: what retention, erasure and
 * masking tests need (messages 40 days old) and the webhook path cannot make. Rows are what the
 * inbound path writes; nothing here stands in for a service under test.
 */
export function createSeeder(database: Database, config: Config) {
  const one = async <T>(text: string, params: unknown[]) => (await database.query<T>(text, params))[0]!;
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
  const store = createDirMediaStore(config.MEDIA_DIR ?? join(config.DATA_DIR, 'media'));
  let n = 0;

  return {
    daysAgo,
    store,
    /** A connected number (its secrets are placeholders: nothing is sent through it). */
    async number(orgId: string) {
      const r = await one<{ id: string }>(
        `insert into numbers (org_id, display_name, phone_number_id, waba_id, access_token_sealed, app_secret_sealed,
                              verify_token_sealed)
         values ($1, 'Seeded', $2, $3, 'sealed', 'sealed', 'sealed') returning id`,
        [orgId, `9${Date.now()}${++n}`, `8${Date.now()}${n}`],
      );
      return r.id;
    },
    /** A customer (contact) and their conversation on the number. */
    async conversation(orgId: string, numberId: string, waId: string, name: string | null = null) {
      const c = await one<{ id: string }>(
        `insert into contacts (org_id, wa_id, name) values ($1, $2, $3)
         on conflict (org_id, wa_id) do update set name = excluded.name returning id`,
        [orgId, waId, name],
      );
      const v = await one<{ id: string }>(
        `insert into conversations (org_id, number_id, contact_id) values ($1, $2, $3) returning id`,
        [orgId, numberId, c.id],
      );
      return { contactId: c.id, conversationId: v.id };
    },
    /** A message sent `days` ago; the conversation's pointers move as the inbound path moves them. */
    async message(
      orgId: string,
      numberId: string,
      conversationId: string,
      o: { days: number; direction?: 'in' | 'out'; text?: string; from?: string },
    ) {
      const at = daysAgo(o.days);
      const direction = o.direction ?? 'in';
      const wamid = `wamid.seed.${randomUUID()}`;
      const content =
        direction === 'in'
          ? { from: o.from ?? '0', id: wamid, type: 'text', text: { body: o.text ?? 'hello' } }
          : { type: 'text', text: { body: o.text ?? 'hello' } };
      const m = await one<{ id: string; seq: string }>(
        `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, sent_at, created_at, status)
         values ($1, $2, $3, $4, $5, 'text', $6, $7, $7, $8) returning id, seq::text`,
        [
          orgId,
          numberId,
          conversationId,
          direction,
          wamid,
          JSON.stringify(content),
          at,
          direction === 'out' ? 'sent' : null,
        ],
      );
      await database.query(
        `update conversations set last_message_at = greatest(last_message_at, $2::timestamptz),
           last_inbound_at = case when $3 then greatest(last_inbound_at, $2::timestamptz) else last_inbound_at end,
           last_inbound_seq = case when $3 then greatest(last_inbound_seq, $4::bigint) else last_inbound_seq end,
           window_expires_at = case when $3 then greatest(last_inbound_at, $2::timestamptz) + interval '24 hours'
                                    else window_expires_at end,
           unread_count = unread_count + case when $3 then 1 else 0 end
         where id = $1`,
        [conversationId, at, direction === 'in', m.seq],
      );
      return { id: m.id, wamid, at };
    },
    /** A status Meta reported `days` ago for a message (or for one we never had). */
    async status(numberId: string, wamid: string, days: number, recipient = '0') {
      await database.query(
        `insert into message_status_events (number_id, wamid, status, occurred_at, payload, applied, created_at)
         values ($1, $2, 'delivered', $3, $4, true, $3)`,
        [
          numberId,
          wamid,
          daysAgo(days),
          JSON.stringify({ id: wamid, status: 'delivered', recipient_id: recipient }),
        ],
      );
    },
    /** A stored raw webhook body received `days` ago that concerned these organisations. */
    async webhookBody(orgIds: string[], days: number, o: { state?: string; raw?: string } = {}) {
      const r = await one<{ id: string }>(
        `insert into webhook_events (raw, state, org_ids, received_at, processed_at)
         values ($1, $2, $3::uuid[], $4, $4) returning id::text`,
        [o.raw ?? `{"seed":${++n}}`, o.state ?? 'processed', orgIds, daysAgo(days)],
      );
      return Number(r.id);
    },
    /** A received file of a message, stored in the media store; returns its storage key. */
    async mediaFile(orgId: string, numberId: string, messageId: string, days: number) {
      const id = randomUUID();
      const key = `${orgId}/${daysAgo(days).slice(0, 7)}/${id}`;
      await store.put(key, Buffer.from(`bytes of ${id}`), 'image/jpeg');
      await database.query(
        `insert into media_files (id, org_id, message_id, number_id, meta_media_id, state, mime_type, size, sha256,
                                  storage_key, created_at, downloaded_at)
         values ($1, $2, $3, $4, $5, 'ready', 'image/jpeg', 10, 'abc', $6, $7, $7)`,
        [id, orgId, messageId, numberId, `media-${id}`, key, daysAgo(days)],
      );
      return key;
    },
    /** A file an agent uploaded `days` ago (the upload cache), shown by `messageIds` too. */
    async upload(orgId: string, numberId: string, days: number, messageIds: string[] = []) {
      const sha = randomUUID().replaceAll('-', '');
      const key = `${orgId}/${daysAgo(days).slice(0, 7)}/out-${sha}`;
      await store.put(key, Buffer.from(`upload ${sha}`), 'application/pdf');
      await database.query(
        `insert into outbound_media (org_id, number_id, sha256, meta_media_id, type, mime_type, size, storage_key, created_at)
         values ($1, $2, $3, $4, 'document', 'application/pdf', 10, $5, $6)`,
        [orgId, numberId, sha, `up-${sha}`, key, daysAgo(days)],
      );
      for (const messageId of messageIds) {
        await database.query(
          `insert into media_files (org_id, message_id, number_id, meta_media_id, state, mime_type, size, sha256, storage_key)
           values ($1, $2, $3, $4, 'ready', 'application/pdf', 10, $5, $6)`,
          [orgId, messageId, numberId, `up-${sha}`, sha, key],
        );
      }
      return key;
    },
    /** Whether the store still holds bytes under the key. */
    async stored(key: string) {
      const file = await store.get(key);
      file?.body.destroy();
      return file !== undefined;
    },
  };
}
