import type { ContactFilter, FieldCondition } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { AppError } from '../lib/errors.ts';
import { latestConsentKind } from './consent.ts';
import { coerceFieldValue, type FieldDef, type Issue, type StoredValue } from './fields.ts';

/** Built-in properties a condition may name, with the type they compare as. */
const BUILT_INS: Record<string, { column: SQL; type: 'text' | 'timestamp' }> = {
  name: { column: sql`c.name`, type: 'text' },
  created_at: { column: sql`c.created_at`, type: 'timestamp' },
  last_inbound_at: { column: sql`c.last_inbound_at`, type: 'timestamp' },
  last_outbound_at: { column: sql`c.last_outbound_at`, type: 'timestamp' },
};

/** An ISO 8601 date, or date and time (a date alone is midnight UTC). */
const ISO_TIME = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/;

const OPS_BY_TYPE: Record<string, readonly FieldCondition['op'][]> = {
  text: ['eq', 'neq', 'contains', 'is_set', 'not_set'],
  enum: ['eq', 'neq', 'is_set', 'not_set'],
  boolean: ['eq', 'neq', 'is_set', 'not_set'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'is_set', 'not_set'],
  date: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'is_set', 'not_set'],
  timestamp: ['gt', 'gte', 'lt', 'lte', 'is_set', 'not_set'],
};

const COMPARE: Record<string, SQL> = {
  eq: sql.raw('='),
  gt: sql.raw('>'),
  gte: sql.raw('>='),
  lt: sql.raw('<'),
  lte: sql.raw('<='),
};

/** `%text%` for ILIKE, with the pattern characters taken literally. */
export const likeContaining = (s: string) => `%${s.replace(/[%_\\]/g, '\\$&')}%`;

/**
 * The SQL condition (on `contacts c`) of a filter, after checking it against the organisation's
 * custom fields: an unknown key, an operator the type does not have, or a value of the wrong type
 * is a 400 naming the condition. The organisation scope is the caller's (`c.org_id = …`).
 */
export function compileFilter(
  filter: ContactFilter,
  defs: Map<string, FieldDef>,
  o: { phoneSearch?: boolean } = {},
): SQL {
  const parts: SQL[] = [];
  const issues: Issue[] = [];
  const q = filter.q?.trim();
  if (q) {
    const like = likeContaining(q);
    const digits = q.replace(/\D+/g, '');
    // phoneSearch false (phones hidden from the caller): digits never match phones, or searching
    // digit by digit would read a hidden phone back.
    const byPhone = o.phoneSearch !== false && digits.length >= 3 && /^[\d\s()+.-]+$/.test(q);
    // A username (`@name` as the dashboard shows it) or a business-scoped user id finds its contact.
    const handle = q.replace(/^@/, '');
    parts.push(sql`(c.name ilike ${like} or c.username ilike ${likeContaining(handle)} or c.user_id = ${q}
      ${byPhone ? sql`or c.wa_id like ${likeContaining(digits)}` : sql``}
      or exists (select 1 from jsonb_each_text(c.fields) f where f.value ilike ${like}))`);
  }
  const tagIds = [...new Set(filter.tag_ids ?? [])];
  if (tagIds.length) {
    const list = sql.join(
      tagIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const match = filter.tag_match ?? 'any';
    if (match === 'all') {
      parts.push(
        sql`(select count(*) from contact_tags ct where ct.contact_id = c.id and ct.tag_id in (${list})) = ${tagIds.length}`,
      );
    } else {
      const some = sql`exists (select 1 from contact_tags ct where ct.contact_id = c.id and ct.tag_id in (${list}))`;
      parts.push(match === 'none' ? sql`not ${some}` : some);
    }
  }
  if (filter.consent) {
    const kind = { opted_in: 'opt_in', opted_out: 'opt_out', unknown: null }[filter.consent];
    parts.push(
      kind ? sql`${latestConsentKind(sql`c`)} = ${kind}` : sql`${latestConsentKind(sql`c`)} is null`,
    );
  }
  for (const [i, cond] of (filter.fields ?? []).entries()) {
    const r = compileCondition(cond, defs);
    if ('issue' in r) issues.push({ path: ['fields', i, ...r.path], message: r.issue });
    else parts.push(r.sql);
  }
  if (issues.length) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Invalid filter: ${issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      { details: issues },
    );
  }
  return parts.length ? sql.join(parts, sql` and `) : sql`true`;
}

function compileCondition(
  cond: FieldCondition,
  defs: Map<string, FieldDef>,
): { sql: SQL } | { issue: string; path: string[] } {
  const builtIn = BUILT_INS[cond.key];
  const def = defs.get(cond.key);
  const type = builtIn?.type ?? def?.type;
  if (!type) return { issue: `no custom field or property is called "${cond.key}"`, path: ['key'] };
  if (!OPS_BY_TYPE[type]!.includes(cond.op)) {
    return { issue: `${cond.op} does not apply to a ${type} field`, path: ['op'] };
  }
  const unary = cond.op === 'is_set' || cond.op === 'not_set';
  if (!unary && cond.value === undefined) return { issue: `${cond.op} needs a value`, path: ['value'] };

  if (builtIn) {
    const col = builtIn.column;
    if (unary) return { sql: cond.op === 'is_set' ? sql`${col} is not null` : sql`${col} is null` };
    const raw = String(cond.value).trim();
    if (type === 'timestamp') {
      if (!ISO_TIME.test(raw) || Number.isNaN(Date.parse(raw))) {
        return { issue: 'must be an ISO date or date-time', path: ['value'] };
      }
      return { sql: sql`${col} ${COMPARE[cond.op]!} ${new Date(raw).toISOString()}::timestamptz` };
    }
    // Names compare regardless of case.
    if (cond.op === 'contains') return { sql: sql`${col} ilike ${likeContaining(raw)}` };
    if (cond.op === 'eq') return { sql: sql`lower(${col}) = lower(${raw})` };
    return { sql: sql`lower(${col}) is distinct from lower(${raw})` };
  }

  const value = sql`c.fields -> ${cond.key}::text`;
  const text = sql`c.fields ->> ${cond.key}::text`;
  if (unary) return { sql: cond.op === 'is_set' ? sql`${value} is not null` : sql`${value} is null` };
  if (cond.op === 'contains') {
    if (typeof cond.value !== 'string') return { issue: 'must be text', path: ['value'] };
    return { sql: sql`${text} ilike ${likeContaining(cond.value)}` };
  }
  const coerced = coerceFieldValue(def!, cond.value!);
  if (!coerced.ok) return { issue: coerced.message, path: ['value'] };
  const v: StoredValue = coerced.value;
  if (cond.op === 'eq') return { sql: sql`${value} = ${JSON.stringify(v)}::jsonb` };
  if (cond.op === 'neq') return { sql: sql`${value} is distinct from ${JSON.stringify(v)}::jsonb` };
  if (type === 'number') {
    // Values are validated on write; the CASE keeps a stray non-number from failing the cast.
    const num = sql`(case when jsonb_typeof(${value}) = 'number' then (${text})::numeric end)`;
    return { sql: sql`${num} ${COMPARE[cond.op]!} ${String(v)}::numeric` };
  }
  // ISO dates compare as text.
  return { sql: sql`${text} ${COMPARE[cond.op]!} ${String(v)}` };
}
