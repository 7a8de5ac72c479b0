import type { AutomationAction, HoursBody, RuleBody, TextMatch } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';

/**
 * Every statement on the automation tables (rules, hits, business hours, reply marks, the
 * exactly-once claims). Tenant first. Reads of other domains' rows the chain needs in its own
 * transaction (the inbound message, its contact, id checks) are plain selects here: they write
 * nothing of another domain.
 */

// ---------------------------------------------------------------- rules

export interface RuleRow {
  id: string;
  name: string;
  enabled: boolean;
  priority: number;
  match: TextMatch;
  number_ids: string[] | null;
  cooldown_minutes: number;
  hours: 'always' | 'open' | 'closed';
  actions: AutomationAction[];
  continue_chain: boolean;
  matched_count: number | string;
  last_matched_at: string | Date | null;
  created_at: string | Date;
  updated_at: string | Date;
}
const RULE_COLS = sql.raw(
  `id, name, enabled, priority, match, number_ids, cooldown_minutes, hours, actions, continue_chain,
   matched_count, last_matched_at, created_at, updated_at`,
);
const uuidArray = (ids: string[] | null) => (ids === null ? sql`null` : sql`${`{${ids.join(',')}}`}::uuid[]`);

/** By priority (lower first), ties by creation. */
export function listRules(tx: Db | Tx, orgId: string, o: { enabledOnly?: boolean } = {}) {
  return queryRows<RuleRow>(
    tx,
    sql`select ${RULE_COLS} from automation_rules where org_id = ${orgId}
        ${o.enabledOnly ? sql`and enabled` : sql``}
        order by priority, created_at, id`,
  );
}

export async function findRule(tx: Db | Tx, orgId: string, id: string) {
  const [r] = await queryRows<RuleRow>(
    tx,
    sql`select ${RULE_COLS} from automation_rules where org_id = ${orgId} and id = ${id} for update`,
  );
  return r ?? null;
}

export async function insertRule(tx: Tx, orgId: string, b: RuleBody) {
  const [r] = await queryRows<RuleRow>(
    tx,
    sql`insert into automation_rules (org_id, name, enabled, priority, match, number_ids, cooldown_minutes, hours, actions, continue_chain)
        values (${orgId}, ${b.name}, ${b.enabled}, ${b.priority}, ${JSON.stringify(b.match)}::jsonb,
                ${uuidArray(b.number_ids)}, ${b.cooldown_minutes}, ${b.hours}, ${JSON.stringify(b.actions)}::jsonb, ${b.continue})
        returning ${RULE_COLS}`,
  );
  return r!;
}

export async function updateRule(tx: Tx, orgId: string, id: string, b: RuleBody) {
  const [r] = await queryRows<RuleRow>(
    tx,
    sql`update automation_rules set name = ${b.name}, enabled = ${b.enabled}, priority = ${b.priority},
          match = ${JSON.stringify(b.match)}::jsonb, number_ids = ${uuidArray(b.number_ids)},
          cooldown_minutes = ${b.cooldown_minutes}, hours = ${b.hours}, actions = ${JSON.stringify(b.actions)}::jsonb,
          continue_chain = ${b.continue}, updated_at = now()
        where org_id = ${orgId} and id = ${id} returning ${RULE_COLS}`,
  );
  return r ?? null;
}

export async function deleteRule(tx: Tx, orgId: string, id: string) {
  const [r] = await queryRows<RuleRow>(
    tx,
    sql`delete from automation_rules where org_id = ${orgId} and id = ${id} returning ${RULE_COLS}`,
  );
  return r ?? null;
}

/** When the rule last fired for the contact (its cooldown), or null. */
export async function lastHit(tx: Tx, ruleId: string, contactId: string) {
  const [r] = await queryRows<{ at: string | Date }>(
    tx,
    sql`select at from automation_rule_hits where rule_id = ${ruleId} and contact_id = ${contactId}`,
  );
  return r ? new Date(r.at) : null;
}

/** The rule fired for the contact: its cooldown starts (in the chain's transaction). */
export async function recordHit(tx: Tx, ruleId: string, contactId: string) {
  await tx.execute(
    sql`insert into automation_rule_hits (rule_id, contact_id, at) values (${ruleId}, ${contactId}, now())
        on conflict (rule_id, contact_id) do update set at = excluded.at`,
  );
}

/**
 * A rule's statistics move, after the chain's transaction committed and in a statement of its own:
 * every message matching a popular rule updates its row, and holding that row's lock for a whole
 * chain transaction would make those messages wait for one another.
 */
export async function countMatch(db: Db | Tx, orgId: string, ruleId: string, n = 1) {
  await db.execute(
    sql`update automation_rules set matched_count = matched_count + ${n}, last_matched_at = now()
        where org_id = ${orgId} and id = ${ruleId}`,
  );
}

/** Which of `ids` are the organisation's rows in `table` (numbers, teams, flows, members). */
export async function existing(
  tx: Db | Tx,
  orgId: string,
  table: 'numbers' | 'teams' | 'flows' | 'members',
  ids: string[],
) {
  if (!ids.length) return [];
  const list = sql`${`{${ids.join(',')}}`}::uuid[]`;
  const rows =
    table === 'members'
      ? await queryRows<{ id: string }>(
          tx,
          sql`select user_id as id from memberships where org_id = ${orgId} and user_id = any(${list})`,
        )
      : await queryRows<{ id: string }>(
          tx,
          sql`select id from ${sql.raw(table)} where org_id = ${orgId} and id = any(${list})`,
        );
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- business hours

export interface HoursRow {
  id: string;
  name: string;
  number_id: string | null;
  team_id: string | null;
  timezone: string | null;
  weekly: Record<string, { from: string; to: string }[]>;
  closures: { date: string; name: string; open: { from: string; to: string }[] }[];
  away_message: string | null;
  away_every_hours: number;
  welcome_message: string | null;
  enabled: boolean;
  created_at: string | Date;
  updated_at: string | Date;
}
const HOURS_COLS = sql.raw(
  `id, name, number_id, team_id, timezone, weekly, closures, away_message, away_every_hours,
   welcome_message, enabled, created_at, updated_at`,
);

export function listHours(tx: Db | Tx, orgId: string) {
  return queryRows<HoursRow>(
    tx,
    sql`select ${HOURS_COLS} from business_hours where org_id = ${orgId}
        order by (number_id is null and team_id is null) desc, name, id`,
  );
}

export async function findHours(tx: Db | Tx, orgId: string, id: string, o: { lock?: boolean } = {}) {
  const [r] = await queryRows<HoursRow>(
    tx,
    sql`select ${HOURS_COLS} from business_hours where org_id = ${orgId} and id = ${id} ${o.lock ? sql`for update` : sql``}`,
  );
  return r ?? null;
}

/** Inserts a schedule; null when its scope already has one (the unique scope index). */
export async function insertHours(tx: Tx, orgId: string, b: HoursBody) {
  const [r] = await queryRows<HoursRow>(
    tx,
    sql`insert into business_hours (org_id, name, number_id, team_id, timezone, weekly, closures, away_message,
                                    away_every_hours, welcome_message, enabled)
        values (${orgId}, ${b.name}, ${b.number_id}, ${b.team_id}, ${b.timezone}, ${JSON.stringify(b.weekly)}::jsonb,
                ${JSON.stringify(b.closures)}::jsonb, ${b.away_message}, ${b.away_every_hours}, ${b.welcome_message}, ${b.enabled})
        on conflict do nothing
        returning ${HOURS_COLS}`,
  );
  return r ?? null;
}

export async function hoursScopeTaken(
  tx: Tx,
  orgId: string,
  numberId: string | null,
  teamId: string | null,
  exceptId: string,
) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`select id from business_hours where org_id = ${orgId} and id <> ${exceptId}
          and number_id is not distinct from ${numberId}::uuid and team_id is not distinct from ${teamId}::uuid`,
  );
  return rows.length > 0;
}

export async function updateHours(tx: Tx, orgId: string, id: string, b: HoursBody) {
  const [r] = await queryRows<HoursRow>(
    tx,
    sql`update business_hours set name = ${b.name}, number_id = ${b.number_id}, team_id = ${b.team_id},
          timezone = ${b.timezone}, weekly = ${JSON.stringify(b.weekly)}::jsonb, closures = ${JSON.stringify(b.closures)}::jsonb,
          away_message = ${b.away_message}, away_every_hours = ${b.away_every_hours},
          welcome_message = ${b.welcome_message}, enabled = ${b.enabled}, updated_at = now()
        where org_id = ${orgId} and id = ${id} returning ${HOURS_COLS}`,
  );
  return r ?? null;
}

export async function deleteHours(tx: Tx, orgId: string, id: string) {
  const [r] = await queryRows<HoursRow>(
    tx,
    sql`delete from business_hours where org_id = ${orgId} and id = ${id} returning ${HOURS_COLS}`,
  );
  return r ?? null;
}

/** The enabled schedule of the number or team if it has one, else the organisation's enabled default. */
export async function scheduleFor(
  tx: Db | Tx,
  orgId: string,
  numberId: string | null,
  teamId: string | null,
) {
  const [r] = await queryRows<HoursRow & { org_timezone: string }>(
    tx,
    sql`select ${sql.raw(
      `h.id, h.name, h.number_id, h.team_id, h.timezone, h.weekly, h.closures, h.away_message, h.away_every_hours,
       h.welcome_message, h.enabled, h.created_at, h.updated_at`,
    )}, coalesce(o.timezone, 'UTC') as org_timezone
        from business_hours h left join org_settings o on o.org_id = h.org_id
        where h.org_id = ${orgId} and h.enabled
          and ((h.number_id is null and h.team_id is null)
               or (${numberId}::uuid is not null and h.number_id = ${numberId}::uuid)
               or (${teamId}::uuid is not null and h.team_id = ${teamId}::uuid))
        order by (h.number_id is null and h.team_id is null), h.id
        limit 1`,
  );
  if (!r) return null;
  const { org_timezone, ...row } = r;
  return { row: row as HoursRow, org_timezone };
}

export async function orgTimezone(tx: Db | Tx, orgId: string) {
  const [r] = await queryRows<{ timezone: string }>(
    tx,
    sql`select timezone from org_settings where org_id = ${orgId}`,
  );
  return r?.timezone ?? 'UTC';
}

// ---------------------------------------------------------------- reply marks (away, welcome)

/** When an automatic reply of `kind` last went to the contact on the number, or null. */
export async function markAt(tx: Tx, contactId: string, numberId: string, kind: 'away' | 'welcome') {
  const [r] = await queryRows<{ at: string | Date }>(
    tx,
    sql`select at from automation_reply_marks where contact_id = ${contactId} and number_id = ${numberId} and kind = ${kind} for update`,
  );
  return r ? new Date(r.at) : null;
}

export async function setMark(
  tx: Tx,
  orgId: string,
  contactId: string,
  numberId: string,
  kind: 'away' | 'welcome',
) {
  await tx.execute(
    sql`insert into automation_reply_marks (org_id, contact_id, number_id, kind, at)
        values (${orgId}, ${contactId}, ${numberId}, ${kind}, now())
        on conflict (contact_id, number_id, kind) do update set at = excluded.at`,
  );
}

// ---------------------------------------------------------------- exactly-once claims

/**
 * Claims an inbound message for the chain, in the transaction that does what the chain decides:
 * true for the first claim; false when it was handled already (or is being handled: the insert
 * waits for the other transaction, then does nothing if it committed).
 */
export async function claim(tx: Tx, orgId: string, messageId: string) {
  const rows = await queryRows<{ message_id: string }>(
    tx,
    sql`insert into automation_handled (message_id, org_id, handled_by) values (${messageId}, ${orgId}, 'pending')
        on conflict (message_id) do nothing returning message_id`,
  );
  return rows.length > 0;
}

export async function setHandledBy(tx: Tx, messageId: string, handledBy: string) {
  await tx.execute(
    sql`update automation_handled set handled_by = ${handledBy} where message_id = ${messageId}`,
  );
}

/** Claims older than the sweep's look-back are of no more use. */
export async function purgeHandled(tx: Db, olderThanHours: number) {
  const rows = await queryRows<{ n: number }>(
    tx,
    sql`with d as (delete from automation_handled where at < now() - make_interval(hours => ${olderThanHours}) returning 1)
        select count(*)::int as n from d`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Customers' messages stored in the window (`sinceMinutes` ago to `minAgeSeconds` ago) that the
 * chain has not claimed: the process died between the inbound commit and the reaction. Oldest first.
 */
export function unhandledInbound(tx: Db, sinceMinutes: number, minAgeSeconds: number, limit: number) {
  return queryRows<{ id: string; org_id: string; contact_id: string; number_id: string }>(
    tx,
    sql`select m.id, m.org_id, c.contact_id, m.number_id
        from messages m join conversations c on c.id = m.conversation_id
        where m.direction = 'in' and m.source is null
          and m.created_at > now() - make_interval(mins => ${sinceMinutes})
          and m.created_at <= now() - make_interval(secs => ${minAgeSeconds})
          and not exists (select 1 from automation_handled h where h.message_id = m.id)
        order by m.created_at, m.seq
        limit ${limit}`,
  );
}

/** An inbound message as the chain reads it, with its contact and whether it is their first ever. */
export interface InboundRow {
  id: string;
  org_id: string;
  number_id: string;
  conversation_id: string;
  contact_id: string;
  direction: string;
  source: string | null;
  wamid: string | null;
  type: string;
  content: Record<string, unknown>;
  context_wamid: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  contact_fields: Record<string, unknown> | null;
  contact_tags: string[] | null;
  first_ever: boolean;
}

export async function inboundMessage(tx: Tx, messageId: string) {
  const [r] = await readInbound(tx, [messageId], false);
  return r ?? null;
}

/**
 * A batch's messages no chain has handled yet (as `inboundMessage`), in one statement. The batch
 * claims them when it writes who handled them (batch.ts), in its last statement: a message another
 * chain handled meanwhile makes that insert conflict, and the batch is undone.
 */
export async function unclaimedInbound(tx: Tx, ids: string[]) {
  return readInbound(tx, ids, true);
}

async function readInbound(tx: Tx, ids: string[], unclaimed: boolean) {
  const list = [...new Set(ids)];
  const rows = await queryRows<InboundRow>(
    tx,
    sql`select m.id, m.org_id, m.number_id, m.conversation_id, c.contact_id, m.direction, m.source, m.wamid, m.type,
               m.content, m.context_wamid, k.name as contact_name, k.phone as contact_phone, k.fields as contact_fields,
               (select coalesce(array_agg(t.name order by t.name), '{}') from contact_tags ct join tags t on t.id = ct.tag_id
                 where ct.contact_id = k.id) as contact_tags,
               not exists (
                 select 1 from conversations c2 join messages m2 on m2.conversation_id = c2.id
                 where c2.org_id = m.org_id and c2.contact_id = c.contact_id and m2.direction = 'in' and m2.id <> m.id
                   and (m2.sent_at, m2.seq) < (m.sent_at, m.seq)
               ) as first_ever
        from messages m join conversations c on c.id = m.conversation_id join contacts k on k.id = c.contact_id
        where m.id = any(${sql.param(list)}::uuid[])${
          unclaimed
            ? sql` and not exists (select 1 from automation_handled h where h.message_id = m.id)`
            : sql``
        }`,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return list.flatMap((id) => byId.get(id) ?? []);
}
