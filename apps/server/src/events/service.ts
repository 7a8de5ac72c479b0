import { DomainEvent, type EventPage } from '@openwaba/contracts';
import type { Database } from '../db/client.ts';
import type { Log } from '../lib/log.ts';
import { appendEvents, eventBounds, eventsSince, purgeEventsBefore, toStored } from './repo.ts';

/** For the realtime hub: the NOTIFY channel of new events, the rows it reads and how they are sent. */
export { EVENTS_CHANNEL, type EventRow, toStored } from './repo.ts';

/**
 * Publishes domain events: stored with a per-organisation id and announced to every process.
 * Call it after commit (see `db/tx.ts`); it never throws, a failure is logged.
 */
export function createEventService(deps: { database: Database; log: Log }) {
  const { database, log } = deps;

  async function publish(orgId: string, events: DomainEvent[]): Promise<number | undefined> {
    if (!events.length) return undefined;
    try {
      return await appendEvents(
        database,
        orgId,
        events.map((e) => DomainEvent.parse(e)),
      );
    } catch (err) {
      log.error({ err, orgId, types: events.map((e) => e.type) }, 'publishing events failed');
      return undefined;
    }
  }

  /** Events after `since` the caller may see (REST catch-up and the polling fallback). */
  async function page(
    ctx: { orgId: string; userId: string },
    since: number,
    limit: number,
  ): Promise<EventPage> {
    const { last, first } = await eventBounds(database, ctx.orgId);
    if (since > last || (first > since + 1 && since < last) || (first === 0 && since < last)) {
      return { data: [], last_id: last, resync: since !== last };
    }
    const rows = await eventsSince(database, ctx.orgId, since, limit);
    const visible = rows.filter((r) => !r.user_id || r.user_id === ctx.userId).map(toStored);
    const lastSeen = rows.length ? Number(rows[rows.length - 1]!.seq) : since;
    return {
      data: visible,
      last_id: rows.length === limit ? lastSeen : Math.max(lastSeen, last),
      resync: false,
    };
  }

  async function purgeOlderThan(hours: number) {
    return purgeEventsBefore(database, new Date(Date.now() - hours * 3_600_000));
  }

  return {
    publish,
    page,
    purgeOlderThan,
    /** The realtime hub's reads: rows after a cursor, every user's (the hub filters per socket). */
    rowsSince: (orgId: string, since: number, limit: number) => eventsSince(database, orgId, since, limit),
    /** The newest id, and the oldest id still kept (0 when none). */
    bounds: (orgId: string) => eventBounds(database, orgId),
  };
}
export type EventService = ReturnType<typeof createEventService>;
