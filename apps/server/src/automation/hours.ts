import type { Hours, HoursBody, HoursStatus } from '@openwaba/contracts';
import { WEEKDAYS } from '@openwaba/contracts';
import { DateTime, IANAZone } from 'luxon';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import { AppError, notFound } from '../lib/errors.ts';
import * as repo from './repo.ts';

// ---------------------------------------------------------------- evaluation (pure)

/** What evaluation needs of a schedule. */
export interface Schedule {
  weekly: Partial<Record<(typeof WEEKDAYS)[number], { from: string; to: string }[]>>;
  closures: { date: string; name: string; open: { from: string; to: string }[] }[];
}

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** The intervals of one local date: a closure's special hours (none = closed) or the weekday's. */
function dayIntervals(s: Schedule, date: DateTime) {
  const iso = date.toISODate()!;
  const closure = s.closures.find((c) => c.date === iso);
  if (closure) return { intervals: closure.open, closure };
  return { intervals: s.weekly[WEEKDAYS[date.weekday - 1]!] ?? [], closure: null };
}

/**
 * Open at `at`? Compared on the local wall clock of `zone`: "09:00–17:00" is open from 09:00 to
 * 17:00 as the clocks on the wall show it, whatever the UTC offset that day. On the day clocks go
 * forward, an interval starting in the skipped hour opens when the clocks jump; on the day they go
 * back, the repeated hour is inside an interval around it both times.
 */
export function isOpen(s: Schedule, at: Date, zone: string): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const t = local.hour * 60 + local.minute + local.second / 60;
  return dayIntervals(s, local.startOf('day')).intervals.some(
    (i) => minutesOf(i.from) <= t && t < minutesOf(i.to),
  );
}

/** The closure that applies on `at`'s local date, if any. */
export function closureAt(s: Schedule, at: Date, zone: string) {
  return dayIntervals(s, DateTime.fromJSDate(at, { zone }).startOf('day')).closure;
}

/**
 * The instants at which the local wall clock of `zone` shows `date` at `minutes` past midnight:
 * one usually, two in the hour repeated when clocks go back, and none in the hour skipped when
 * they go forward — then the instant the clocks jump (luxon pushes a missing time forward).
 */
function instantsOf(date: DateTime, minutes: number, zone: string): number[] {
  // Wall-clock arithmetic in UTC (no offsets): "24:00" is the next day's 00:00.
  const naive = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  const wall = new Date(naive);
  const offsets = new Set(
    [naive - 86_400_000, naive + 86_400_000].map((ms) => DateTime.fromMillis(ms, { zone }).offset),
  );
  const out: number[] = [];
  for (const offset of offsets) {
    const ms = naive - offset * 60_000;
    const back = DateTime.fromMillis(ms, { zone });
    if (
      back.hour === wall.getUTCHours() &&
      back.minute === wall.getUTCMinutes() &&
      back.day === wall.getUTCDate()
    )
      out.push(ms);
  }
  if (!out.length) {
    out.push(
      DateTime.fromObject(
        {
          year: wall.getUTCFullYear(),
          month: wall.getUTCMonth() + 1,
          day: wall.getUTCDate(),
          hour: wall.getUTCHours(),
          minute: wall.getUTCMinutes(),
        },
        { zone },
      ).toMillis(),
    );
  }
  return out;
}

/**
 * When the schedule next opens or closes after `at`, looking at most `days` ahead; null if it
 * never changes in that time (always open, or closed throughout). The state only changes where
 * the wall clock crosses an interval's edge or midnight, so those instants are the candidates.
 */
export function nextChange(s: Schedule, at: Date, zone: string, days = 14): Date | null {
  const now = isOpen(s, at, zone);
  const start = DateTime.fromJSDate(at, { zone }).startOf('day');
  const candidates = new Set<number>();
  for (let i = 0; i <= days; i++) {
    const date = start.plus({ days: i }).startOf('day');
    const edges = new Set<number>([0]);
    for (const iv of dayIntervals(s, date).intervals) {
      edges.add(minutesOf(iv.from));
      edges.add(minutesOf(iv.to));
    }
    for (const m of edges) for (const ms of instantsOf(date, m, zone)) candidates.add(ms);
  }
  const after = at.getTime();
  const limit = after + days * 86_400_000;
  for (const ms of [...candidates].sort((a, b) => a - b)) {
    if (ms <= after || ms > limit) continue;
    if (isOpen(s, new Date(ms), zone) !== now) return new Date(ms);
  }
  return null;
}

export const isValidZone = (zone: string) => IANAZone.isValidZone(zone);

// ---------------------------------------------------------------- the service

const toHours = (r: repo.HoursRow): Hours => ({
  id: r.id,
  name: r.name,
  number_id: r.number_id,
  team_id: r.team_id,
  timezone: r.timezone,
  weekly: Object.fromEntries(WEEKDAYS.map((d) => [d, r.weekly[d] ?? []])) as Hours['weekly'],
  closures: r.closures.map((c) => ({ date: c.date, name: c.name ?? '', open: c.open ?? [] })),
  away_message: r.away_message,
  away_every_hours: r.away_every_hours,
  welcome_message: r.welcome_message,
  enabled: r.enabled,
  created_at: new Date(r.created_at).toISOString(),
  updated_at: new Date(r.updated_at).toISOString(),
});

const invalid = (path: (string | number)[], message: string) =>
  new AppError('VALIDATION_FAILED', `${path.join('.')}: ${message}`, { details: [{ path, message }] });

/** A schedule that applies, with the zone it is read in. */
export interface AppliedSchedule {
  row: repo.HoursRow;
  zone: string;
}

/**
 * Business hours: one schedule per scope (the organisation's default, a number's, a team's),
 * evaluated in its timezone or the organisation's. The chain asks `forNumber` (the number's
 * schedule, else the default); the inbox header asks `status`.
 */
export function createHoursService(deps: { db: Db }) {
  const { db } = deps;

  async function list(ctx: Pick<AuthContext, 'orgId'>) {
    return { data: (await repo.listHours(db, ctx.orgId)).map(toHours) };
  }

  /** Refuses what zod cannot see: an unknown zone, another organisation's number or team, two scopes. */
  async function check(tx: Tx, orgId: string, body: HoursBody) {
    if (body.number_id && body.team_id)
      throw invalid(['team_id'], 'a schedule is for a number or a team, not both');
    if (body.timezone !== null && !isValidZone(body.timezone))
      throw invalid(['timezone'], `"${body.timezone}" is not an IANA time zone (e.g. Europe/London)`);
    if (body.number_id && !(await repo.existing(tx, orgId, 'numbers', [body.number_id])).length)
      throw invalid(['number_id'], 'no such number in this organisation');
    if (body.team_id && !(await repo.existing(tx, orgId, 'teams', [body.team_id])).length)
      throw invalid(['team_id'], 'no such team in this organisation');
    const seen = new Set<string>();
    body.closures.forEach((c, i) => {
      if (seen.has(c.date)) throw invalid(['closures', i, 'date'], `${c.date} is listed twice`);
      seen.add(c.date);
    });
  }

  const scopeTaken = (body: HoursBody) =>
    new AppError(
      'CONFLICT',
      body.number_id
        ? 'This number already has a schedule: edit it instead'
        : body.team_id
          ? 'This team already has a schedule: edit it instead'
          : 'The organisation already has a default schedule: edit it instead',
      { details: [{ path: [body.number_id ? 'number_id' : 'team_id'], message: 'already has a schedule' }] },
    );

  async function create(ctx: AuthContext, body: HoursBody) {
    return transaction(db, async (tx) => {
      await check(tx, ctx.orgId, body);
      const row = await repo.insertHours(tx, ctx.orgId, body);
      if (!row) throw scopeTaken(body);
      await recordAudit(tx, actorOf(ctx), {
        action: 'automation.hours.create',
        entityType: 'business_hours',
        entityId: row.id,
        after: body,
      });
      return toHours(row);
    });
  }

  async function update(ctx: AuthContext, id: string, body: HoursBody) {
    return transaction(db, async (tx) => {
      const before = await repo.findHours(tx, ctx.orgId, id, { lock: true });
      if (!before) throw notFound('Schedule');
      await check(tx, ctx.orgId, body);
      if (await repo.hoursScopeTaken(tx, ctx.orgId, body.number_id, body.team_id, id)) throw scopeTaken(body);
      const row = (await repo.updateHours(tx, ctx.orgId, id, body))!;
      await recordAudit(tx, actorOf(ctx), {
        action: 'automation.hours.update',
        entityType: 'business_hours',
        entityId: id,
        before: toHours(before),
        after: body,
      });
      return toHours(row);
    });
  }

  async function remove(ctx: AuthContext, id: string) {
    return transaction(db, async (tx) => {
      const before = await repo.deleteHours(tx, ctx.orgId, id);
      if (!before) throw notFound('Schedule');
      await recordAudit(tx, actorOf(ctx), {
        action: 'automation.hours.delete',
        entityType: 'business_hours',
        entityId: id,
        before: toHours(before),
      });
      return { ok: true as const };
    });
  }

  /** The enabled schedule of a number (or team), else the organisation's enabled default, else none. */
  async function applied(
    tx: Db | Tx,
    orgId: string,
    scope: { numberId?: string | null; teamId?: string | null },
  ): Promise<AppliedSchedule | null> {
    const found = await repo.scheduleFor(tx, orgId, scope.numberId ?? null, scope.teamId ?? null);
    if (!found) return null;
    const zone = found.row.timezone ?? found.org_timezone;
    return { row: found.row, zone: isValidZone(zone) ? zone : 'UTC' };
  }

  const forNumber = (tx: Db | Tx, orgId: string, numberId: string) => applied(tx, orgId, { numberId });

  /** Open at `at` on the number (its schedule, else the default; open when none applies): flow conditions. */
  async function openAt(tx: Db | Tx, orgId: string, numberId: string | null, at: Date) {
    const s = await applied(tx, orgId, { numberId });
    return s ? isOpen(s.row, at, s.zone) : true;
  }

  /** "Open now?" for the inbox header: the number's (or team's) schedule, else the default; open when none. */
  async function status(
    ctx: Pick<AuthContext, 'orgId'>,
    q: { number_id?: string; team_id?: string; at?: string },
  ): Promise<HoursStatus> {
    if (q.number_id && !(await repo.existing(db, ctx.orgId, 'numbers', [q.number_id])).length)
      throw notFound('Number');
    if (q.team_id && !(await repo.existing(db, ctx.orgId, 'teams', [q.team_id])).length)
      throw notFound('Team');
    const at = q.at ? new Date(q.at) : new Date();
    const s = await applied(db, ctx.orgId, { numberId: q.number_id, teamId: q.team_id });
    if (!s) {
      return {
        open: true,
        schedule_id: null,
        schedule_name: null,
        timezone: await repo.orgTimezone(db, ctx.orgId),
        next_change_at: null,
        closure: null,
      };
    }
    const closure = closureAt(s.row, at, s.zone);
    return {
      open: isOpen(s.row, at, s.zone),
      schedule_id: s.row.id,
      schedule_name: s.row.name,
      timezone: s.zone,
      next_change_at: nextChange(s.row, at, s.zone)?.toISOString() ?? null,
      closure: closure ? closure.name || closure.date : null,
    };
  }

  return { list, create, update, remove, status, forNumber, openAt };
}
export type HoursService = ReturnType<typeof createHoursService>;
