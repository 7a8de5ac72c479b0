import type {
  ConsentSource,
  Contact,
  ContactFilter,
  ContactPage,
  ContactQuery,
  CreateContactBody,
  UpdateContactBody,
} from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { type OnCommit, queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { isBsuid } from '../lib/address.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { normalizePhone, type PhoneResult } from '../lib/phone.ts';
import type { MediaService } from '../media/service.ts';
import type { OrgService } from '../orgs/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { createBulkContacts } from './bulk.ts';
import type { ConsentService } from './consent.ts';
import { checkFieldValues, type FieldService, type Issue, type StoredValue } from './fields.ts';
import { compileFilter } from './filter.ts';
import { upsertContacts } from './repo.ts';
import type { SegmentService } from './segments.ts';
import { isUniqueViolation, type TagService } from './tags.ts';
import { createTimeline } from './timeline.ts';
import type { Tombstone, Tombstones } from './tombstones.ts';

interface ContactRow {
  id: string;
  wa_id: string;
  phone: string | null;
  country: string | null;
  name: string | null;
  user_id: string | null;
  username: string | null;
  parent_user_id: string | null;
  fields: Record<string, StoredValue> | null;
  last_inbound_at: string | Date | null;
  last_outbound_at: string | Date | null;
  last_message_at: string | Date | null;
  created_at: string | Date;
  updated_at: string | Date;
  /** created_at as PostgreSQL prints it: microseconds kept, for exact cursors. */
  created_key: string;
  consent_kind: string | null;
  consent_source: string | null;
  consent_at: string | Date | null;
}
type TagRef = Contact['tags'][number];

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

/** The country of a phone stored without one (contacts created by inbound messages). */
function countryOf(phone: string | null): string | null {
  if (!phone) return null;
  const p = normalizePhone(phone, { defaultRegion: 'US' });
  return p.ok ? p.country : null;
}

/** `kept`: the opt-out of an erased contact of the same phone, when the ledger has nothing. */
function toContact(r: ContactRow, tags: TagRef[], kept?: Tombstone): Contact {
  if (kept && !r.consent_kind) {
    r = { ...r, consent_kind: 'opt_out', consent_source: kept.source, consent_at: kept.optedOutAt };
  }
  return {
    id: r.id,
    phone: r.phone,
    wa_id: r.wa_id,
    country: r.country ?? countryOf(r.phone),
    name: r.name,
    user_id: r.user_id,
    username: r.username,
    parent_user_id: r.parent_user_id,
    fields: r.fields ?? {},
    tags,
    consent: {
      state:
        r.consent_kind === 'opt_in' ? 'opted_in' : r.consent_kind === 'opt_out' ? 'opted_out' : 'unknown',
      source: (r.consent_source as ConsentSource | null) ?? null,
      at: iso(r.consent_at),
    },
    last_inbound_at: iso(r.last_inbound_at),
    last_outbound_at: iso(r.last_outbound_at),
    last_message_at: iso(r.last_message_at),
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
  };
}

const cursorOf = (r: ContactRow) => Buffer.from(`${r.created_key}|${r.id}`).toString('base64url');
function parseCursor(c: string) {
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|');
  if (
    !at ||
    !id ||
    !/^\d{4}-\d\d-\d\d[ T][\d:.]+([+-]\d\d(:?\d\d)?|Z)?$/.test(at) ||
    !/^[0-9a-f-]{36}$/.test(id)
  ) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor; use next_cursor from the previous page');
  }
  return { at, id };
}

const invalid = (issues: Issue[]) =>
  new AppError('VALIDATION_FAILED', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), {
    details: issues,
  });

// The last message either way is the newest activity of the contact's conversations (one per number,
// kept by every writer of messages): a probe of conversations_contact_idx per row, no scan of messages.
const SELECT = sql`select c.id, c.wa_id, c.phone, c.country, c.name, c.user_id, c.username, c.parent_user_id,
    c.fields, c.last_inbound_at,
    c.last_outbound_at, c.created_at, c.updated_at, c.created_at::text as created_key,
    (select max(cv.last_message_at) from conversations cv where cv.contact_id = c.id) as last_message_at,
    e.kind as consent_kind, e.source as consent_source, e.created_at as consent_at
  from contacts c
  left join lateral (select kind, source, created_at from opt_in_events e
                     where e.org_id = c.org_id and e.wa_id = c.wa_id order by e.id desc limit 1) e on true`;

/**
 * Contacts of an organisation: E.164 phones (read in its default region, checked against its allowed
 * countries), tags, typed custom fields, filters and segments, bulk actions, the activity timeline.
 */
export function createContactService(deps: {
  db: Db;
  orgs: OrgService;
  fields: FieldService;
  tags: TagService;
  segments: SegmentService;
  consent: ConsentService;
  tombstones: Tombstones;
  media: MediaService;
  events: EventService;
  /** The timeline shows template messages by their rendered text. */
  templates: Pick<TemplateService, 'renderMessages'>;
}) {
  const { db, orgs, fields, tags, segments, consent, tombstones, media, events, templates } = deps;

  /** Reads a phone as the organisation's settings say; the reason when it cannot be used. */
  async function readPhone(orgId: string, phone: string): Promise<PhoneResult> {
    const { settings } = await orgs.getOrg({ orgId });
    return normalizePhone(phone, {
      defaultRegion: settings.default_region,
      allowedCountries: settings.allowed_countries,
    });
  }

  async function tagsOf(tx: Db | Tx, orgId: string, ids: string[]) {
    const byContact = new Map<string, TagRef[]>(ids.map((id) => [id, []]));
    if (!ids.length) return byContact;
    const rows = await queryRows<{ contact_id: string; id: string; name: string; color: string | null }>(
      tx,
      sql`select ct.contact_id, t.id, t.name, t.color from contact_tags ct join tags t on t.id = ct.tag_id
          where ct.org_id = ${orgId} and ct.contact_id in (${sql.join(
            ids.map((id) => sql`${id}::uuid`),
            sql`, `,
          )})
          order by lower(t.name)`,
    );
    for (const r of rows) byContact.get(r.contact_id)?.push({ id: r.id, name: r.name, color: r.color });
    return byContact;
  }

  /** Erased contacts' kept opt-outs for the rows whose ledger is empty (none: no query beyond a probe). */
  const keptOf = (tx: Db | Tx, orgId: string, rows: ContactRow[]) =>
    tombstones.find(
      tx,
      orgId,
      rows.filter((r) => !r.consent_kind).map((r) => r.wa_id),
    );

  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string, tx: Db | Tx = db): Promise<Contact> {
    const [row] = await queryRows<ContactRow>(
      tx,
      sql`${SELECT} where c.org_id = ${ctx.orgId} and c.id = ${id}`,
    );
    if (!row) throw notFound('Contact');
    const kept = await keptOf(tx, ctx.orgId, [row]);
    return toContact(row, (await tagsOf(tx, ctx.orgId, [id])).get(id) ?? [], kept.get(row.wa_id));
  }

  /** The SQL condition of a filter, a saved segment, or both (ANDed). */
  /** A filter about to be kept (a campaign's audience): only the organisation's own fields and tags. */
  async function checkFilter(orgId: string, filter: ContactFilter, tx: Db | Tx = db) {
    await segments.checkFilter(tx, orgId, filter);
  }

  async function whereOf(
    orgId: string,
    filter: ContactFilter,
    segmentId?: string,
    tx: Db | Tx = db,
    o: { phoneSearch?: boolean } = {},
  ) {
    const defs = await fields.definitions(tx, orgId);
    const parts = [compileFilter(filter, defs, o)];
    if (segmentId) parts.push(compileFilter((await segments.get({ orgId }, segmentId, tx)).filter, defs, o));
    return sql.join(parts, sql` and `);
  }

  /** `phoneSearch: false` for a caller who may not see phones: a search never matches phone digits. */
  async function list(
    ctx: Pick<AuthContext, 'orgId'>,
    q: ContactQuery,
    o: { phoneSearch?: boolean } = {},
  ): Promise<ContactPage> {
    const filter: ContactFilter = {
      ...(q.q ? { q: q.q } : {}),
      ...(q.tag_ids ? { tag_ids: q.tag_ids } : {}),
      ...(q.tag_match ? { tag_match: q.tag_match } : {}),
      ...(q.fields ? { fields: q.fields } : {}),
      ...(q.consent ? { consent: q.consent } : {}),
    };
    const where = await whereOf(ctx.orgId, filter, q.segment_id, db, o);
    const c = q.cursor ? parseCursor(q.cursor) : undefined;
    const rows = await queryRows<ContactRow>(
      db,
      sql`${SELECT} where c.org_id = ${ctx.orgId} and (${where})
          ${c ? sql`and (c.created_at, c.id) < (${c.at}::timestamptz, ${c.id}::uuid)` : sql``}
          order by c.created_at desc, c.id desc limit ${q.limit + 1}`,
    );
    const page = rows.slice(0, q.limit);
    const tagMap = await tagsOf(
      db,
      ctx.orgId,
      page.map((r) => r.id),
    );
    let total: number | null = null;
    if (q.with_total === 'true') {
      const [n] = await queryRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from contacts c where c.org_id = ${ctx.orgId} and (${where})`,
      );
      total = n?.n ?? 0;
    }
    const kept = await keptOf(db, ctx.orgId, page);
    return {
      data: page.map((r) => toContact(r, tagMap.get(r.id) ?? [], kept.get(r.wa_id))),
      next_cursor: rows.length > q.limit ? cursorOf(page[page.length - 1]!) : null,
      total,
    };
  }

  async function setTags(tx: Tx, orgId: string, contactId: string, tagIds: string[]) {
    const own = await tags.assertOwn(tx, orgId, tagIds);
    await tx.execute(
      sql`delete from contact_tags where org_id = ${orgId} and contact_id = ${contactId}
          ${
            own.length
              ? sql`and tag_id not in (${sql.join(
                  own.map((t) => sql`${t}::uuid`),
                  sql`, `,
                )})`
              : sql``
          }`,
    );
    if (own.length) {
      await tx.execute(
        sql`insert into contact_tags (org_id, contact_id, tag_id)
            values ${sql.join(
              own.map((t) => sql`(${orgId}, ${contactId}, ${t})`),
              sql`, `,
            )}
            on conflict do nothing`,
      );
    }
  }

  /**
   * Tags by name added to and removed from one contact inside the caller's transaction (automation):
   * a missing tag is created. Names match regardless of case.
   */
  async function changeTagsByName(
    tx: Tx,
    onCommit: OnCommit,
    orgId: string,
    contactId: string,
    change: { add?: string[]; remove?: string[] },
  ) {
    const add = [...new Set((change.add ?? []).map((n) => n.trim()).filter(Boolean))];
    const remove = [...new Set((change.remove ?? []).map((n) => n.trim().toLowerCase()).filter(Boolean))];
    if (add.length) {
      await tx.execute(
        sql`insert into tags (org_id, name)
            select ${orgId}::uuid, n from unnest(${sql.param(add)}::text[]) as n
            on conflict do nothing`,
      );
      await tx.execute(
        sql`insert into contact_tags (org_id, contact_id, tag_id)
            select ${orgId}::uuid, ${contactId}::uuid, t.id from tags t
            where t.org_id = ${orgId} and lower(t.name) = any(${sql.param(add.map((n) => n.toLowerCase()))}::text[])
            on conflict do nothing`,
      );
    }
    if (remove.length) {
      await tx.execute(
        sql`delete from contact_tags ct using tags t
            where ct.org_id = ${orgId} and ct.contact_id = ${contactId} and t.id = ct.tag_id
              and lower(t.name) = any(${sql.param(remove)}::text[])`,
      );
    }
    if (add.length || remove.length)
      onCommit(() =>
        events.publish(orgId, [
          { type: 'contact.updated', data: { contact_id: contactId, fields: ['tags'] } },
        ]),
      );
  }

  /**
   * One custom field's value set (or removed with null/empty) inside the caller's transaction
   * (automation), checked against its definition: 400 when the field does not exist or the value
   * does not fit its type.
   */
  async function setFieldValue(
    tx: Tx,
    onCommit: OnCommit,
    orgId: string,
    contactId: string,
    key: string,
    value: string | null,
  ) {
    const checked = checkFieldValues(await fields.definitions(tx, orgId), { [key]: value });
    if (checked.issues.length) throw invalid(checked.issues);
    await tx.execute(
      checked.remove.length
        ? sql`update contacts set fields = fields - ${key}, updated_at = now() where org_id = ${orgId} and id = ${contactId}`
        : sql`update contacts set fields = fields || ${JSON.stringify(checked.set)}::jsonb, updated_at = now()
              where org_id = ${orgId} and id = ${contactId}`,
    );
    onCommit(() =>
      events.publish(orgId, [
        { type: 'contact.updated', data: { contact_id: contactId, fields: ['fields'] } },
      ]),
    );
  }

  const duplicate = (phone: string, id: string) =>
    new AppError(
      'CONFLICT',
      `A contact with ${isBsuid(phone) ? 'the user id' : 'the phone'} ${phone} already exists (${id})`,
      {
        details: { contact_id: id },
      },
    );

  async function existingId(tx: Db | Tx, orgId: string, waId: string) {
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`select id from contacts where org_id = ${orgId} and wa_id = ${waId}`,
    );
    return row?.id;
  }

  async function create(ctx: AuthContext, body: CreateContactBody): Promise<Contact> {
    // A business-scoped user id stands for a customer known by their WhatsApp username.
    const bsuid = isBsuid(body.phone.trim()) ? body.phone.trim() : null;
    const phone: PhoneResult = bsuid
      ? { ok: true, e164: bsuid, waId: bsuid, country: null }
      : await readPhone(ctx.orgId, body.phone);
    const id = await transaction(db, async (tx, onCommit) => {
      if (bsuid) {
        const [linked] = await queryRows<{ id: string }>(
          tx,
          sql`select id from contacts where org_id = ${ctx.orgId} and user_id = ${bsuid}`,
        );
        if (linked) throw duplicate(bsuid, linked.id);
      }
      const checked = checkFieldValues(await fields.definitions(tx, ctx.orgId), body.fields ?? {});
      const issues = [...(phone.ok ? [] : [{ path: ['phone'], message: phone.reason }]), ...checked.issues];
      if (issues.length || !phone.ok) throw invalid(issues);
      const [upserted] = await upsertContacts(tx, ctx.orgId, [
        {
          waId: phone.waId,
          userId: bsuid,
          name: body.name || null,
          country: phone.country,
          fields: checked.set,
        },
      ]);
      const row = upserted!;
      if (!row.created) throw duplicate(phone.e164, row.id);
      if (body.tag_ids?.length) await setTags(tx, ctx.orgId, row.id, body.tag_ids);
      // An erased contact's phone coming back stays opted out: the API's opt-in does not undo it
      // (the customer's START, or a person recording an opt-in with proof later, can).
      const kept = await tombstones.restore(tx, onCommit, ctx.orgId, [phone.waId]);
      if (body.opt_in && !kept.size) {
        await consent.record(tx, onCommit, actorOf(ctx), {
          contactId: row.id,
          kind: 'opt_in',
          source: body.opt_in.source,
          proof: body.opt_in.proof,
        });
      }
      const created = await get(ctx, row.id, tx);
      await recordAudit(tx, actorOf(ctx), {
        action: 'contact.create',
        entityType: 'contact',
        entityId: row.id,
        after: snapshot(created),
      });
      onCommit(() => events.publish(ctx.orgId, [{ type: 'contact.created', data: { contact_id: row.id } }]));
      return row.id;
    });
    return get(ctx, id);
  }

  async function update(ctx: AuthContext, id: string, body: UpdateContactBody): Promise<Contact> {
    const phone = body.phone !== undefined ? await readPhone(ctx.orgId, body.phone) : undefined;
    await transaction(db, async (tx, onCommit) => {
      const [locked] = await queryRows<{ id: string }>(
        tx,
        sql`select id from contacts where org_id = ${ctx.orgId} and id = ${id} for update`,
      );
      if (!locked) throw notFound('Contact');
      const before = await get(ctx, id, tx);
      const checked = body.fields
        ? checkFieldValues(await fields.definitions(tx, ctx.orgId), body.fields)
        : undefined;
      const issues = [
        ...(phone && !phone.ok ? [{ path: ['phone'], message: phone.reason }] : []),
        ...(checked?.issues ?? []),
      ];
      if (issues.length) throw invalid(issues);
      const sets: SQL[] = [sql`updated_at = now()`];
      if (phone?.ok && phone.waId !== before.wa_id) {
        const other = await existingId(tx, ctx.orgId, phone.waId);
        if (other) throw duplicate(phone.e164, other);
        sets.push(sql`wa_id = ${phone.waId}`, sql`country = ${phone.country}`);
      }
      if (body.name !== undefined) sets.push(sql`name = ${body.name || null}`);
      if (checked) {
        const next: Record<string, StoredValue> = { ...before.fields, ...checked.set };
        for (const k of checked.remove) delete next[k];
        sets.push(sql`fields = ${JSON.stringify(next)}::jsonb`);
      }
      await tx
        .execute(
          sql`update contacts set ${sql.join(sets, sql`, `)} where org_id = ${ctx.orgId} and id = ${id}`,
        )
        .catch((err) => {
          // Taken by a concurrent writer since the check above.
          throw isUniqueViolation(err) && phone?.ok
            ? new AppError('CONFLICT', `A contact with the phone ${phone.e164} already exists`)
            : err;
        });
      if (body.tag_ids !== undefined) await setTags(tx, ctx.orgId, id, body.tag_ids);
      const after = await get(ctx, id, tx);
      const changed = Object.keys(body);
      await recordAudit(tx, actorOf(ctx), {
        action: 'contact.update',
        entityType: 'contact',
        entityId: id,
        before: pick(snapshot(before), changed),
        after: pick(snapshot(after), changed),
      });
      onCommit(() =>
        events.publish(ctx.orgId, [{ type: 'contact.updated', data: { contact_id: id, fields: changed } }]),
      );
    });
    return get(ctx, id);
  }

  /**
   * Deletes the contact with its conversations, messages and their stored files (after commit); its
   * consent ledger is kept.
   */
  async function remove(ctx: AuthContext, id: string) {
    await transaction(db, async (tx, onCommit) => {
      const before = await get(ctx, id, tx);
      const files = await media.filesOf(
        tx,
        ctx.orgId,
        sql`m.conversation_id in (select id from conversations where org_id = ${ctx.orgId} and contact_id = ${id})`,
      );
      await tx.execute(sql`delete from contacts where org_id = ${ctx.orgId} and id = ${id}`);
      onCommit(() => media.releaseFiles(ctx.orgId, files, { dropUploads: true }));
      await recordAudit(tx, actorOf(ctx), {
        action: 'contact.delete',
        entityType: 'contact',
        entityId: id,
        before: snapshot(before),
      });
      onCommit(() => events.publish(ctx.orgId, [{ type: 'contact.deleted', data: { contact_id: id } }]));
    });
  }

  /**
   * Create, or update the contact this phone or BSUID already names (`PUT /api/v1/contacts`): its
   * name, fields and tags as given; an opt-in is recorded only for a new contact. `created` says which.
   */
  async function upsert(
    ctx: AuthContext,
    body: CreateContactBody,
  ): Promise<{ contact: Contact; created: boolean }> {
    try {
      return { contact: await create(ctx, body), created: true };
    } catch (err) {
      const id =
        err instanceof AppError && err.code === 'CONFLICT'
          ? (err.details as { contact_id?: string } | undefined)?.contact_id
          : undefined;
      if (!id) throw err;
      const change = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.fields !== undefined ? { fields: body.fields } : {}),
        ...(body.tag_ids !== undefined ? { tag_ids: body.tag_ids } : {}),
      };
      return {
        contact: Object.keys(change).length ? await update(ctx, id, change) : await get(ctx, id),
        created: false,
      };
    }
  }

  const timeline = createTimeline({ db, get, templates });

  const bulk = createBulkContacts({ db, tags, media, events, whereOf });

  return {
    readPhone,
    get,
    upsert,
    list,
    create,
    update,
    remove,
    bulk,
    whereOf,
    checkFilter,
    timeline,
    changeTagsByName,
    setFieldValue,
  };
}
export type ContactService = ReturnType<typeof createContactService>;

/** What the audit log keeps of a contact. */
function snapshot(c: Contact) {
  return { phone: c.phone, name: c.name, fields: c.fields, tag_ids: c.tags.map((t) => t.id) };
}
function pick(o: Record<string, unknown>, keys: string[]) {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
