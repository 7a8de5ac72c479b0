import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { Database, Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { NumberService } from '../numbers/service.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { MediaStore } from './store.ts';

/** Inbound message types whose payload carries a Meta media id to fetch. */
export const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/** What WhatsApp may send (Meta's supported media types); anything else is refused, not stored. */
const ALLOWED_MIME =
  /^(image\/(jpeg|png|webp)|video\/(mp4|3gpp)|audio\/(aac|amr|mpeg|mp4|ogg)|application\/(pdf|msword|vnd\.ms-excel|vnd\.ms-powerpoint|vnd\.openxmlformats-officedocument\.[a-z.]+)|text\/plain)$/;

/** Meta keeps an inbound media id for 7 days; after that a download cannot succeed. */
const META_MEDIA_TTL_MS = 7 * 24 * 3600 * 1000;

interface MediaRow {
  id: string;
  org_id: string;
  message_id: string;
  conversation_id: string;
  number_id: string;
  meta_media_id: string;
  state: string;
  mime_type: string | null;
  storage_key: string | null;
  size: number | null;
  created_at: Date | string;
  filename: string | null;
}

/** A download that can never succeed: recorded as failed at once instead of retried. */
class PermanentMediaError extends Error {}

/**
 * Received media: a pending row is written with the message, a job fetches the file from Meta soon
 * after (the URL Meta gives lives 5 minutes and needs the number's token), checks type and size,
 * keeps it in the media store and serves it to the organisation. Failures retry and stay visible;
 * the message itself never waits for its file.
 */
export function createMediaService(deps: {
  db: Db;
  database: Database;
  store: MediaStore;
  numbers: NumberService;
  events: EventService;
  log: Log;
  maxBytes: number;
  /** Queues the download job (late-bound: the job queue is built after the services it runs). */
  schedule(orgId: string, mediaFileId: string): Promise<void>;
}) {
  const { database, store, numbers, events, log, maxBytes } = deps;

  /** Inside the message's transaction: the file to fetch, when the message carries one. */
  async function recordPending(
    tx: Tx,
    m: { orgId: string; numberId: string; messageId: string; type: string; payload: Record<string, unknown> },
  ): Promise<string | undefined> {
    if (!MEDIA_TYPES.has(m.type)) return undefined;
    const media = m.payload[m.type] as { id?: unknown; mime_type?: unknown } | undefined;
    if (typeof media?.id !== 'string' || !media.id) return undefined;
    const [created] = await queryRows<{ id: string }>(
      tx,
      sql`
      insert into media_files (org_id, message_id, number_id, meta_media_id, mime_type)
      values (${m.orgId}, ${m.messageId}, ${m.numberId}, ${media.id}, ${typeof media.mime_type === 'string' ? media.mime_type : null})
      on conflict (message_id) do nothing returning id`,
    );
    return created?.id;
  }

  async function row(where: string, params: unknown[]): Promise<MediaRow | undefined> {
    const [r] = await database.query<MediaRow>(
      `select f.id, f.org_id, f.message_id, m.conversation_id, f.number_id, f.meta_media_id, f.state, f.mime_type,
              f.storage_key, f.size, f.created_at, m.content->m.type->>'filename' as filename
       from media_files f join messages m on m.id = f.message_id where ${where}`,
      params,
    );
    return r;
  }

  async function setState(
    r: MediaRow,
    state: 'ready' | 'failed' | 'pending',
    cols: { mime?: string; size?: number; sha256?: string; key?: string; error?: string | null },
  ) {
    await database.query(
      `update media_files set state = $2, attempts = attempts + 1, error = $3,
         mime_type = coalesce($4, mime_type), size = coalesce($5, size), sha256 = coalesce($6, sha256),
         storage_key = coalesce($7, storage_key), downloaded_at = case when $2 = 'ready' then now() else downloaded_at end
       where id = $1`,
      [
        r.id,
        state,
        cols.error ?? null,
        cols.mime ?? null,
        cols.size ?? null,
        cols.sha256 ?? null,
        cols.key ?? null,
      ],
    );
    if (state !== 'pending') {
      await events.publish(r.org_id, [
        {
          type: 'message.media_updated',
          conversation_id: r.conversation_id,
          data: { message_id: r.message_id, conversation_id: r.conversation_id, state },
        },
      ]);
    }
  }

  /**
   * Fetches one file. Transient failures throw (the job retries); on the last attempt, or when the
   * download can never work (too large, a type WhatsApp does not send, expired), it is marked failed.
   */
  async function download(mediaFileId: string, o: { lastAttempt: boolean }): Promise<{ state: string }> {
    const r = await row('f.id = $1', [mediaFileId]);
    if (!r) return { state: 'gone' };
    if (r.state === 'ready') return { state: 'ready' };
    try {
      if (Date.now() - new Date(r.created_at).getTime() > META_MEDIA_TTL_MS) {
        throw new PermanentMediaError('Meta no longer keeps this file (media ids expire after 7 days)');
      }
      const number = await numbers.rowById(r.number_id);
      if (!number) throw new PermanentMediaError('The number was disconnected');
      const provider = numbers.providerFor(number);
      const creds = {
        phoneNumberId: number.phoneNumberId,
        accessToken: numbers.credentials(number).accessToken,
      };
      const info = await provider.getMedia(creds, r.meta_media_id);
      const mime = info.mime_type.split(';')[0]!.trim().toLowerCase();
      if (!ALLOWED_MIME.test(mime)) throw new PermanentMediaError(`Refused type ${info.mime_type}`);
      if (info.file_size !== undefined && info.file_size > maxBytes) {
        throw new PermanentMediaError(`File of ${info.file_size} bytes is over the ${maxBytes}-byte limit`);
      }
      const file = await provider.downloadMedia(creds, info.url, { maxBytes });
      if (file.data.length > maxBytes) {
        throw new PermanentMediaError(`File of ${file.data.length} bytes is over the ${maxBytes}-byte limit`);
      }
      const month = new Date(r.created_at).toISOString().slice(0, 7);
      const key = `${r.org_id}/${month}/${r.id}`;
      await store.put(key, file.data, info.mime_type);
      await setState(r, 'ready', {
        mime: info.mime_type,
        size: file.data.length,
        sha256: createHash('sha256').update(file.data).digest('hex'),
        key,
        error: null,
      });
      return { state: 'ready' };
    } catch (err) {
      const message = err instanceof GraphError ? `Meta: ${err.title}` : (err as Error).message;
      if (err instanceof GraphError) {
        const number = await numbers.rowById(r.number_id);
        if (number) await numbers.handleGraphError(number, err);
      }
      const permanent =
        err instanceof PermanentMediaError ||
        (err instanceof GraphError && (err.kind === 'permanent' || err.kind === 'token'));
      if (permanent || o.lastAttempt) {
        await setState(r, 'failed', { error: message.slice(0, 500) });
        log.warn({ mediaFileId, err: message }, 'media download failed');
        return { state: 'failed' };
      }
      await setState(r, 'pending', { error: message.slice(0, 500) });
      throw err;
    }
  }

  /** Queues the download of a file recorded with its message. */
  async function schedule(orgId: string, mediaFileId: string) {
    await deps.schedule(orgId, mediaFileId);
  }

  /** Files still pending a while after they arrived (their job was lost, e.g. a crash before it was queued). */
  async function findStalled(olderThanSeconds: number, limit = 500) {
    return database.query<{ id: string; org_id: string }>(
      `select id, org_id from media_files where state = 'pending' and created_at < now() - make_interval(secs => $1)
       order by created_at limit $2`,
      [olderThanSeconds, limit],
    );
  }

  /** Retry a failed download by hand (admin action). */
  async function retry(orgId: string, messageId: string) {
    const r = await row('f.org_id = $1 and f.message_id = $2', [orgId, messageId]);
    if (!r) throw notFound('Media');
    if (r.state === 'ready') return { state: 'ready' as const };
    await database.query(`update media_files set state = 'pending', error = null where id = $1`, [r.id]);
    await schedule(orgId, r.id);
    return { state: 'pending' as const };
  }

  /** The stored file of a message, for a user of its organisation. */
  async function open(
    orgId: string,
    messageId: string,
  ): Promise<{ body: Readable; size: number; mimeType: string; filename: string | null }> {
    const r = await row('f.org_id = $1 and f.message_id = $2', [orgId, messageId]);
    if (!r) throw notFound('Media');
    if (r.state !== 'ready' || !r.storage_key) {
      throw new AppError(
        'CONFLICT',
        r.state === 'failed' ? 'The file could not be downloaded from Meta' : 'The file is still downloading',
        { details: { state: r.state } },
      );
    }
    const file = await store.get(r.storage_key);
    if (!file) throw notFound('Media file');
    return { ...file, mimeType: r.mime_type ?? 'application/octet-stream', filename: r.filename };
  }

  return { recordPending, download, schedule, findStalled, retry, open };
}
export type MediaService = ReturnType<typeof createMediaService>;
