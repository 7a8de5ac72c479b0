import type { Contact, RenderedTemplate, TimelineItem, TimelinePage } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import { previewOf } from '../conversations/view.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import type { TemplateService } from '../templates/service.ts';
import { toConsentEvent } from './consent.ts';

interface Row {
  at: string | Date;
  at_key: string;
  kind: TimelineItem['kind'];
  id: string;
  data: Record<string, unknown>;
}

const KINDS = new Set(['message', 'consent', 'change']);
const cursorOf = (r: Row) => Buffer.from(`${r.at_key}|${r.kind}|${r.id}`).toString('base64url');
function parseCursor(c: string) {
  const [at, kind, id] = Buffer.from(c, 'base64url').toString().split('|');
  if (
    !at ||
    !kind ||
    !id ||
    !KINDS.has(kind) ||
    !/^\d{4}-\d\d-\d\d[ T][\d:.]+([+-]\d\d(:?\d\d)?|Z)?$/.test(at) ||
    !/^[0-9a-f-]{1,36}$/.test(id)
  ) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor; use next_cursor from the previous page');
  }
  return { at, kind, id };
}

/**
 * A contact's activity, newest first: its messages (every number), consent changes from the
 * ledger, and edits from the audit log (consent entries there are the ledger's own, so skipped).
 * Campaign sends join when campaigns exist. Each source is cut at the page size before merging.
 */
export function createTimeline(deps: {
  db: Db;
  get: (ctx: Pick<AuthContext, 'orgId'>, id: string, tx?: Db | Tx) => Promise<Contact>;
  /** A template message's preview is its rendered body (one lookup per page). */
  templates: Pick<TemplateService, 'renderMessages'>;
}) {
  const { db, get, templates } = deps;
  return async function timeline(
    ctx: Pick<AuthContext, 'orgId'>,
    contactId: string,
    q: { cursor?: string; limit: number },
  ): Promise<TimelinePage> {
    const contact = await get(ctx, contactId);
    const c = q.cursor ? parseCursor(q.cursor) : undefined;
    const n = q.limit + 1;
    const after = (at: ReturnType<typeof sql>, kind: string, id: ReturnType<typeof sql>) =>
      c
        ? sql`and (${at}, ${kind}::text, ${id}) < (${c.at}::timestamptz, ${c.kind}::text, ${c.id}::text)`
        : sql``;
    const rows = await queryRows<Row>(
      db,
      sql`select * from (
        (select m.sent_at as at, m.sent_at::text as at_key, 'message' as kind, m.id::text as id,
                jsonb_build_object('id', m.id, 'conversation_id', m.conversation_id, 'number_id', m.number_id,
                  'direction', m.direction, 'type', m.type, 'content', m.content, 'status', m.status,
                  'waba_id', (select n.waba_id from numbers n where n.id = m.number_id)) as data
         from messages m join conversations cv on cv.id = m.conversation_id
         where cv.org_id = ${ctx.orgId} and cv.contact_id = ${contactId} and m.org_id = ${ctx.orgId}
           ${after(sql`m.sent_at`, 'message', sql`m.id::text`)}
         order by m.sent_at desc, m.id::text desc limit ${n})
        union all
        (select e.created_at, e.created_at::text, 'consent', e.id::text,
                jsonb_build_object('id', e.id, 'contact_id', e.contact_id, 'wa_id', e.wa_id, 'kind', e.kind,
                  'source', e.source, 'proof', e.proof, 'actor_user_id', e.actor_user_id, 'actor_email', u.email,
                  'message_id', e.message_id, 'created_at', e.created_at)
         from opt_in_events e left join users u on u.id = e.actor_user_id
         where e.org_id = ${ctx.orgId} and e.wa_id = ${contact.wa_id}
           ${after(sql`e.created_at`, 'consent', sql`e.id::text`)}
         order by e.created_at desc, e.id::text desc limit ${n})
        union all
        (select a.created_at, a.created_at::text, 'change', a.id::text,
                jsonb_build_object('action', a.action, 'actor_type', a.actor_type, 'actor_id', a.actor_id,
                  'actor_label', coalesce(a.actor_label, u.email), 'before', a.before, 'after', a.after)
         from audit_log a left join users u on a.actor_type = 'user' and u.id::text = a.actor_id
         where a.org_id = ${ctx.orgId} and a.entity_type = 'contact' and a.entity_id = ${contactId}
           and a.action not in ('contact.opt_in', 'contact.opt_out')
           ${after(sql`a.created_at`, 'change', sql`a.id::text`)}
         order by a.created_at desc, a.id::text desc limit ${n})
      ) t order by t.at desc, t.kind desc, t.id desc limit ${n}`,
    );
    const page = rows.slice(0, q.limit);
    const rendered = await templates.renderMessages(
      ctx.orgId,
      page.map((r) => ({
        type: r.kind === 'message' ? (r.data.type as string) : '',
        content: r.data.content,
        wabaId: (r.data.waba_id as string | null) ?? null,
      })),
    );
    return {
      data: page.map((r, i) => toItem(r, rendered[i])),
      next_cursor: rows.length > q.limit ? cursorOf(page[page.length - 1]!) : null,
    };
  };
}

function toItem(r: Row, template: RenderedTemplate | null | undefined): TimelineItem {
  const at = new Date(r.at).toISOString();
  const d = r.data;
  if (r.kind === 'message') {
    return {
      kind: 'message',
      id: r.id,
      at,
      message: {
        id: d.id as string,
        conversation_id: d.conversation_id as string,
        number_id: d.number_id as string,
        direction: d.direction as 'in' | 'out',
        type: d.type as string,
        preview: previewOf(d.type as string, (d.content ?? {}) as Record<string, unknown>, template),
        status: (d.status as string | null) ?? null,
      },
    };
  }
  if (r.kind === 'consent') {
    return {
      kind: 'consent',
      id: r.id,
      at,
      consent: toConsentEvent({
        id: String(d.id),
        contact_id: (d.contact_id as string | null) ?? null,
        wa_id: d.wa_id as string,
        kind: d.kind as string,
        source: d.source as string,
        proof: (d.proof as string | null) ?? null,
        actor_user_id: (d.actor_user_id as string | null) ?? null,
        actor_email: (d.actor_email as string | null) ?? null,
        message_id: (d.message_id as string | null) ?? null,
        created_at: d.created_at as string,
      }),
    };
  }
  return {
    kind: 'change',
    id: r.id,
    at,
    change: {
      action: d.action as string,
      actor_type: d.actor_type as string,
      actor_id: (d.actor_id as string | null) ?? null,
      actor_label: (d.actor_label as string | null) ?? null,
      before: d.before ?? null,
      after: d.after ?? null,
    },
  };
}
