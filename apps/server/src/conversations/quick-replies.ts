import type { QuickReply } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { fill } from '../lib/placeholders.ts';

interface Row {
  id: string;
  shortcut: string;
  body: string;
  created_at: string | Date;
  updated_at: string | Date;
}
const toQuickReply = (r: Row): QuickReply => ({
  id: r.id,
  shortcut: r.shortcut,
  body: r.body,
  created_at: new Date(r.created_at).toISOString(),
  updated_at: new Date(r.updated_at).toISOString(),
});

/**
 * Fills a quick reply's variables (`{{contact.name}}`, `{{contact.phone}}`, `{{contact.field.city}}`)
 * from a contact. A variable the contact has no value for is left out and named in `missing`, so
 * the agent sees what to type.
 *
 * @example fillQuickReply('Hi {{contact.name}}!', { name: 'Ana', phone: '+4477…', fields: {} })
 * // { text: 'Hi Ana!', missing: [] }
 */
export const fillQuickReply = (
  body: string,
  contact: { name: string | null; phone: string; fields: Record<string, unknown> },
) => fill(body, { contact });

/** Canned answers of an organisation, inserted in the composer with `/shortcut`. */
export function createQuickReplyService(deps: { db: Db }) {
  const { db } = deps;

  async function list(ctx: Pick<AuthContext, 'orgId'>) {
    const rows = await queryRows<Row>(
      db,
      sql`select id, shortcut, body, created_at, updated_at from quick_replies where org_id = ${ctx.orgId} order by shortcut`,
    );
    return { data: rows.map(toQuickReply) };
  }

  const taken = (shortcut: string) =>
    new AppError('CONFLICT', `The shortcut /${shortcut} is already used by another quick reply`, {
      details: [{ path: ['shortcut'], message: 'already used' }],
    });

  async function create(ctx: AuthContext, body: { shortcut: string; body: string }) {
    const [row] = await queryRows<Row>(
      db,
      sql`insert into quick_replies (org_id, shortcut, body, created_by)
          values (${ctx.orgId}, ${body.shortcut}, ${body.body}, ${ctx.userId})
          on conflict (org_id, shortcut) do nothing
          returning id, shortcut, body, created_at, updated_at`,
    );
    if (!row) throw taken(body.shortcut);
    return toQuickReply(row);
  }

  async function update(ctx: AuthContext, id: string, body: { shortcut: string; body: string }) {
    const [clash] = await queryRows<{ id: string }>(
      db,
      sql`select id from quick_replies where org_id = ${ctx.orgId} and shortcut = ${body.shortcut} and id <> ${id}`,
    );
    if (clash) throw taken(body.shortcut);
    const [row] = await queryRows<Row>(
      db,
      sql`update quick_replies set shortcut = ${body.shortcut}, body = ${body.body}, updated_at = now()
          where org_id = ${ctx.orgId} and id = ${id} returning id, shortcut, body, created_at, updated_at`,
    );
    if (!row) throw notFound('Quick reply');
    return toQuickReply(row);
  }

  async function remove(ctx: AuthContext, id: string) {
    const rows = await queryRows<{ id: string }>(
      db,
      sql`delete from quick_replies where org_id = ${ctx.orgId} and id = ${id} returning id`,
    );
    if (!rows.length) throw notFound('Quick reply');
    return { ok: true as const };
  }

  /**
   * The quick reply filled in for the contact of one conversation. `phone`: how the caller sees
   * phones (masked when the organisation hides them from their role: they see what they send).
   */
  async function render(
    ctx: Pick<AuthContext, 'orgId'>,
    id: string,
    conversationId: string,
    o: { phone?: (p: string) => string } = {},
  ) {
    const [q] = await queryRows<{ body: string }>(
      db,
      sql`select body from quick_replies where org_id = ${ctx.orgId} and id = ${id}`,
    );
    if (!q) throw notFound('Quick reply');
    const [k] = await queryRows<{
      name: string | null;
      wa_id: string;
      fields: Record<string, unknown> | null;
    }>(
      db,
      sql`select k.name, k.wa_id, k.fields from conversations c join contacts k on k.id = c.contact_id
          where c.org_id = ${ctx.orgId} and c.id = ${conversationId}`,
    );
    if (!k) throw notFound('Conversation');
    // A customer known only by their business-scoped user id has no phone: `{{contact.phone}}` is missing.
    const phone = /^\d+$/.test(k.wa_id) ? `+${k.wa_id}` : '';
    return fillQuickReply(q.body, {
      name: k.name,
      phone: phone && o.phone ? o.phone(phone) : phone,
      fields: k.fields ?? {},
    });
  }

  return { list, create, update, remove, render };
}
export type QuickReplyService = ReturnType<typeof createQuickReplyService>;
