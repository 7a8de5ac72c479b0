import type {
  CreateFieldBody,
  CustomField,
  FieldType,
  FieldValue,
  UpdateFieldBody,
} from '@openwaba/contracts';
import { and, eq, sql } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { customFields } from '../db/schema.ts';
import { queryRows } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';

type Row = typeof customFields.$inferSelect;
export interface FieldDef {
  key: string;
  type: FieldType;
  options: string[] | null;
}
export type StoredValue = string | number | boolean;
export interface Issue {
  path: (string | number)[];
  message: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return (
    d.getUTCFullYear() === Number(m[1]) &&
    d.getUTCMonth() === Number(m[2]) - 1 &&
    d.getUTCDate() === Number(m[3])
  );
}

/**
 * One value checked against its field's type and stored typed: a number, an ISO date string
 * (`YYYY-MM-DD`), a boolean, one of an enum's options (matched regardless of case, stored as
 * defined), or text. Strings are read leniently ("42", "yes") so imported cells work too.
 *
 * @example coerceFieldValue({ key: 'age', type: 'number', options: null }, '42') // { ok: true, value: 42 }
 */
export function coerceFieldValue(
  def: FieldDef,
  raw: FieldValue,
): { ok: true; value: StoredValue } | { ok: false; message: string } {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (def.type) {
    case 'text':
      return typeof text === 'string' ? { ok: true, value: text } : { ok: false, message: 'must be text' };
    case 'number': {
      const n =
        typeof text === 'number'
          ? text
          : typeof text === 'string' && NUMBER.test(text)
            ? Number(text)
            : Number.NaN;
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: 'must be a number' };
    }
    case 'date':
      return typeof text === 'string' && isIsoDate(text)
        ? { ok: true, value: text }
        : { ok: false, message: 'must be a date as YYYY-MM-DD' };
    case 'boolean': {
      if (typeof text === 'boolean') return { ok: true, value: text };
      const s = String(text).toLowerCase();
      if (TRUE.has(s)) return { ok: true, value: true };
      if (FALSE.has(s)) return { ok: true, value: false };
      return { ok: false, message: 'must be true or false' };
    }
    case 'enum': {
      const match = (def.options ?? []).find((o) => o.toLowerCase() === String(text).toLowerCase());
      return match !== undefined
        ? { ok: true, value: match }
        : { ok: false, message: `must be one of: ${(def.options ?? []).join(', ')}` };
    }
  }
}

/**
 * Field values as a client sent them, checked against the organisation's definitions: the values
 * to store, and the keys to remove (null or an empty string). Every problem is reported at once.
 */
export function checkFieldValues(
  defs: Map<string, FieldDef>,
  input: Record<string, FieldValue | null>,
): { set: Record<string, StoredValue>; remove: string[]; issues: Issue[] } {
  const set: Record<string, StoredValue> = {};
  const remove: string[] = [];
  const issues: Issue[] = [];
  for (const [key, raw] of Object.entries(input)) {
    const def = defs.get(key);
    if (!def) {
      issues.push({ path: ['fields', key], message: `no custom field has the key "${key}"` });
      continue;
    }
    if (raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      remove.push(key);
      continue;
    }
    const r = coerceFieldValue(def, raw);
    if (r.ok) set[key] = r.value;
    else issues.push({ path: ['fields', key], message: r.message });
  }
  return { set, remove, issues };
}

export function toField(r: Row): CustomField {
  return {
    id: r.id,
    key: r.key,
    label: r.label,
    type: r.type as FieldType,
    options: r.options ?? null,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** Typed custom field definitions per organisation. */
export function createFieldService(deps: { db: Db }) {
  const { db } = deps;

  async function getRow(tx: Db | Tx, orgId: string, id: string) {
    const [row] = await tx
      .select()
      .from(customFields)
      .where(and(eq(customFields.orgId, orgId), eq(customFields.id, id)));
    if (!row) throw notFound('Custom field');
    return row;
  }

  /** The definitions by key (for validation and filters). */
  async function definitions(tx: Db | Tx, orgId: string): Promise<Map<string, FieldDef>> {
    const rows = await tx
      .select({ key: customFields.key, type: customFields.type, options: customFields.options })
      .from(customFields)
      .where(eq(customFields.orgId, orgId));
    return new Map(rows.map((r) => [r.key, { key: r.key, type: r.type as FieldType, options: r.options }]));
  }

  async function list(ctx: Pick<AuthContext, 'orgId'>): Promise<CustomField[]> {
    const rows = await db
      .select()
      .from(customFields)
      .where(eq(customFields.orgId, ctx.orgId))
      .orderBy(customFields.createdAt, customFields.key);
    return rows.map(toField);
  }

  async function create(ctx: AuthContext, body: CreateFieldBody): Promise<CustomField> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .insert(customFields)
        .values({
          orgId: ctx.orgId,
          key: body.key,
          label: body.label,
          type: body.type,
          options: body.options ?? null,
        })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new AppError('CONFLICT', `A custom field with the key "${body.key}" already exists`);
      await recordAudit(tx, actorOf(ctx), {
        action: 'custom_field.create',
        entityType: 'custom_field',
        entityId: row.id,
        after: toField(row),
      });
      return toField(row);
    });
  }

  /**
   * Renames a field or changes an enum's options. An option still held by some contact cannot be
   * removed (their value would stop being valid): 409 with the count.
   */
  async function update(ctx: AuthContext, id: string, body: UpdateFieldBody): Promise<CustomField> {
    return db.transaction(async (tx) => {
      const before = await getRow(tx, ctx.orgId, id);
      if (body.options !== undefined) {
        if (before.type !== 'enum') {
          throw new AppError('VALIDATION_FAILED', 'Only enum fields have options', {
            details: [{ path: ['options'], message: `a ${before.type} field takes no options` }],
          });
        }
        const kept = new Set(body.options);
        const dropped = (before.options ?? []).filter((o) => !kept.has(o));
        if (dropped.length) {
          const [inUse] = await queryRows<{ n: number }>(
            tx,
            sql`select count(*)::int as n from contacts where org_id = ${ctx.orgId}
                and fields ->> ${before.key} in (${sql.join(
                  dropped.map((d) => sql`${d}`),
                  sql`, `,
                )})`,
          );
          if (inUse && inUse.n > 0) {
            throw new AppError(
              'CONFLICT',
              `${inUse.n} contact(s) still have ${dropped.map((d) => `"${d}"`).join(', ')}; change their value first`,
              { details: { options: dropped, contacts: inUse.n } },
            );
          }
        }
      }
      const [row] = await tx
        .update(customFields)
        .set({
          ...(body.label !== undefined ? { label: body.label } : {}),
          ...(body.options !== undefined ? { options: body.options } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(customFields.orgId, ctx.orgId), eq(customFields.id, id)))
        .returning();
      await recordAudit(tx, actorOf(ctx), {
        action: 'custom_field.update',
        entityType: 'custom_field',
        entityId: id,
        before: toField(before),
        after: toField(row!),
      });
      return toField(row!);
    });
  }

  /** Deletes the definition and every contact's value of it, in one transaction. */
  async function remove(ctx: AuthContext, id: string) {
    await db.transaction(async (tx) => {
      const before = await getRow(tx, ctx.orgId, id);
      await tx.delete(customFields).where(and(eq(customFields.orgId, ctx.orgId), eq(customFields.id, id)));
      await tx.execute(
        sql`update contacts set fields = fields - ${before.key}::text
            where org_id = ${ctx.orgId} and fields ? ${before.key}::text`,
      );
      await recordAudit(tx, actorOf(ctx), {
        action: 'custom_field.delete',
        entityType: 'custom_field',
        entityId: id,
        before: toField(before),
      });
    });
  }

  return { definitions, list, create, update, remove };
}
export type FieldService = ReturnType<typeof createFieldService>;
