import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { ceilingFor, initialRate, type RateState } from './rate.ts';

/**
 * Which process sends for a number (its lease: one at a time, so the number's adaptive rate is one
 * rate) and the rate it keeps between runs. These columns live on `numbers`; only the sender uses them.
 * `holder` names this process.
 */

/** Numbers with due sends that this process is not sending for yet (`busy`). */
export async function findNumbersWithWork(db: Db, holder: string, busy: string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select n.id from numbers n
        where n.status = 'active' and n.id <> all(${sql.param(busy)}::uuid[])
          and (n.send_lease_until is null or n.send_lease_until < now() or n.send_holder = ${holder})
          and exists (select 1 from send_queue q where q.number_id = n.id and q.lease_until is null
                        and q.unknown_since is null and q.due_at <= now())`,
  );
  return rows.map((r) => r.id);
}

/** Takes (or renews) the number's lease for 15 s; false when another process holds it. */
export async function takeSendLease(db: Db, holder: string, numberId: string): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update numbers set send_holder = ${holder}, send_lease_until = now() + interval '15 seconds'
        where id = ${numberId} and status = 'active'
          and (send_lease_until is null or send_lease_until < now() or send_holder = ${holder})
        returning id`,
  );
  return rows.length > 0;
}

/** Gives the lease up, saving the rate the number ended on. */
export async function releaseSendLease(
  db: Db,
  holder: string,
  numberId: string,
  rate: RateState | undefined,
) {
  await db.execute(
    sql`update numbers set send_holder = null, send_lease_until = null,
               max_send_rate_per_sec = coalesce(${rate?.rate ?? null}, max_send_rate_per_sec),
               last_stable_rate_per_sec = coalesce(${rate?.stableRate ?? null}, last_stable_rate_per_sec)
        where id = ${numberId} and send_holder = ${holder}`,
  );
}

/**
 * The number's rate: carried over today, 90% of the last day's on a new day, else its Meta level or
 * 60. `cached` is this process's live state, kept as it is (window, throttles) while the day lasts.
 */
export async function loadSendRate(db: Db, numberId: string, cached?: RateState): Promise<RateState> {
  const [n] = await queryRows<{
    throughput_level: string | null;
    coexistence: boolean;
    max_send_rate_per_sec: number | null;
    last_stable_rate_per_sec: number | null;
    rate_day: string | null;
    today: string;
  }>(
    db,
    sql`select n.throughput_level, n.coexistence, n.max_send_rate_per_sec, n.last_stable_rate_per_sec, n.rate_day,
               to_char(now() at time zone coalesce(s.timezone, 'UTC'), 'YYYY-MM-DD') as today
        from numbers n left join org_settings s on s.org_id = n.org_id where n.id = ${numberId}`,
  );
  const limits = { throughputLevel: n?.throughput_level, coexistence: n?.coexistence ?? false };
  // The cached state lasts the day, unless the number's ceiling changed (it became a coexistence number).
  if (cached && n && n.rate_day === n.today && cached.ceiling === ceilingFor(limits)) return cached;
  const state = initialRate({
    ...limits,
    saved: {
      rate: cached?.rate ?? n?.max_send_rate_per_sec ?? null,
      stableRate: n?.last_stable_rate_per_sec ?? null,
      day: n?.rate_day ?? null,
    },
    today: n?.today ?? '',
    nowMs: Date.now(),
  });
  await db.execute(
    sql`update numbers set max_send_rate_per_sec = ${state.rate}, rate_day = ${n?.today ?? null} where id = ${numberId}`,
  );
  return state;
}

/** Saves the live rate (every few seconds while sending: another process may take over). */
export async function saveSendRate(db: Db, numberId: string, rate: RateState) {
  await db.execute(
    sql`update numbers set max_send_rate_per_sec = ${rate.rate},
               last_stable_rate_per_sec = coalesce(${rate.stableRate}, last_stable_rate_per_sec)
        where id = ${numberId}`,
  );
}
