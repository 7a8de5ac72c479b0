import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { SENDABLE_MEDIA as SENDABLE, type UploadedMedia } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Database, Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { NumberService } from '../numbers/service.ts';
import { GraphError } from '../whatsapp/graph-error.ts';
import type { MediaStore } from './store.ts';
import type { StoredFiles } from './stored-files.ts';

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

/** An uploaded media id lives 30 days at Meta; reuse it for a little less. */
const META_UPLOAD_REUSE_MS = 29 * 24 * 3600 * 1000;
/** Types a file's bytes can tell (file-type); the rest (text, legacy Office) is taken as declared. */
const SNIFFABLE = /^(image|video|audio)\/|^application\/(pdf|vnd\.openxmlformats)/;

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
  /** What the store holds for rows being deleted (built before the numbers service, which uses it too). */
  files: StoredFiles;
  maxBytes: number;
  /** Queues the download job (one per file: a second request while one is queued is a no-op). */
  schedule(orgId: string, mediaFileId: string): Promise<void>;
}) {
  const { database, store, numbers, events, log, maxBytes, files } = deps;

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
  async function download(
    orgId: string,
    mediaFileId: string,
    o: { lastAttempt: boolean },
  ): Promise<{ state: string }> {
    const r = await row('f.org_id = $1 and f.id = $2', [orgId, mediaFileId]);
    if (!r) return { state: 'gone' };
    if (r.state === 'ready') return { state: 'ready' };
    try {
      if (Date.now() - new Date(r.created_at).getTime() > META_MEDIA_TTL_MS) {
        throw new PermanentMediaError('Meta no longer keeps this file (media ids expire after 7 days)');
      }
      const number = await numbers.findRow(r.org_id, r.number_id);
      if (!number) throw new PermanentMediaError('The number was disconnected');
      const provider = numbers.providerFor(number);
      const creds = credsOf(number);
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
        const number = await numbers.findRow(r.org_id, r.number_id);
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

  /** What a Graph media call needs of a number: its id and token (not its other secrets). */
  const credsOf = (number: NonNullable<Awaited<ReturnType<NumberService['findRow']>>>) => ({
    phoneNumberId: number.phoneNumberId,
    accessToken: numbers.credentials(number).accessToken,
  });

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

  /**
   * A file an agent is about to send on a number: its type and size checked against WhatsApp's
   * rules (the declared type must match the bytes), kept in the media store and uploaded to Meta —
   * once: the same bytes sent again on the number reuse Meta's media id while it lives.
   */
  async function prepareOutbound(
    orgId: string,
    numberId: string,
    file: { data: Buffer; mimeType: string; filename?: string | undefined },
  ): Promise<UploadedMedia> {
    const declared = file.mimeType.split(';')[0]!.trim().toLowerCase();
    const rule = SENDABLE[declared];
    if (!rule) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `WhatsApp cannot send ${declared || 'this type of file'}`,
        {
          details: { allowed: Object.keys(SENDABLE) },
        },
      );
    }
    if (!file.data.length) throw new AppError('VALIDATION_FAILED', 'The file is empty');
    if (file.data.length > rule.max) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `WhatsApp sends ${declared} files up to ${Math.round(rule.max / 1024)} KB; this one is ${Math.ceil(file.data.length / 1024)} KB`,
      );
    }
    if (SNIFFABLE.test(declared)) {
      const { fileTypeFromBuffer } = await import('file-type');
      const found = await fileTypeFromBuffer(file.data);
      const same =
        found &&
        (found.mime === declared ||
          // MP4 containers: audio/mp4 and video/mp4 are told apart by what the sender says.
          (found.ext === 'mp4' && /^(audio|video)\/mp4$/.test(declared)) ||
          (found.ext === 'm4a' && declared === 'audio/mp4') ||
          (found.ext === 'mp3' && declared === 'audio/mpeg') ||
          (found.ext === '3gp' && declared === 'video/3gpp') ||
          (found.ext === 'opus' && declared === 'audio/ogg') ||
          (found.ext === 'oga' && declared === 'audio/ogg'));
      if (!same) {
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          `The file is not the ${declared} it says it is${found ? ` (it looks like ${found.mime})` : ''}`,
        );
      }
    }
    const sha256 = createHash('sha256').update(file.data).digest('hex');
    const [known] = await database.query<{ meta_media_id: string; created_at: string }>(
      `select meta_media_id, created_at from outbound_media where org_id = $1 and number_id = $2 and sha256 = $3`,
      [orgId, numberId, sha256],
    );
    const filename = file.filename?.trim().slice(0, 240) || null;
    const result = (id: string, reused: boolean) => ({
      id,
      type: rule.type,
      mime_type: declared,
      size: file.data.length,
      filename,
      reused,
    });
    if (known && Date.now() - new Date(known.created_at).getTime() < META_UPLOAD_REUSE_MS) {
      return result(known.meta_media_id, true);
    }
    const number = await numbers.findRow(orgId, numberId);
    if (!number) throw notFound('Number');
    const creds = credsOf(number);
    let uploaded: { id: string };
    try {
      uploaded = await numbers.providerFor(number).uploadMedia(creds, {
        data: file.data,
        mimeType: declared,
        filename: filename ?? undefined,
      });
    } catch (err) {
      if (err instanceof GraphError) {
        await numbers.handleGraphError(number, err);
        throw new AppError(
          err.kind === 'permanent' ? 'VALIDATION_FAILED' : 'UNAVAILABLE',
          `Meta did not take the file: ${err.title}${err.details ? ` — ${err.details}` : ''}`,
        );
      }
      throw err;
    }
    const key = `${orgId}/${new Date().toISOString().slice(0, 7)}/out-${sha256.slice(0, 32)}`;
    await store.put(key, file.data, declared);
    await database.query(
      `insert into outbound_media (org_id, number_id, sha256, meta_media_id, type, mime_type, size, filename, storage_key)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (number_id, sha256) do update set meta_media_id = excluded.meta_media_id, created_at = now(),
         storage_key = excluded.storage_key, filename = excluded.filename`,
      [orgId, numberId, sha256, uploaded.id, rule.type, declared, file.data.length, filename, key],
    );
    return result(uploaded.id, false);
  }

  /**
   * Inside the message's transaction: a sent message that carries a file this organisation uploaded
   * is shown from the stored copy (the thread serves it like a received file).
   */
  async function attachOutbound(
    tx: Tx,
    m: { orgId: string; numberId: string; messageId: string; metaMediaId: string },
  ) {
    await tx.execute(sql`
      insert into media_files (org_id, message_id, number_id, meta_media_id, state, mime_type, sha256, size, storage_key, downloaded_at)
      select o.org_id, ${m.messageId}, o.number_id, o.meta_media_id, 'ready', o.mime_type, o.sha256, o.size, o.storage_key, now()
      from outbound_media o
      where o.org_id = ${m.orgId} and o.number_id = ${m.numberId} and o.meta_media_id = ${m.metaMediaId}
      limit 1
      on conflict (message_id) do nothing`);
  }

  return {
    recordPending,
    download,
    schedule,
    findStalled,
    retry,
    open,
    prepareOutbound,
    attachOutbound,
    filesOf: files.filesOf,
    releaseFiles: files.releaseFiles,
    filesOfNumber: files.filesOfNumber,
  };
}
export type MediaService = ReturnType<typeof createMediaService>;
