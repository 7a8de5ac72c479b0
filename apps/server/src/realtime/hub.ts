import type { ServerFrame, StoredEvent } from '@openwaba/contracts';
import { WS_CLOSE } from '@openwaba/contracts';
import type { Database } from '../db/client.ts';
import { EVENTS_CHANNEL, type EventRow, type EventService, toStored } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { Metrics } from '../lib/metrics.ts';

/** The part of a WebSocket the hub needs (the `ws` library's socket fits). */
export interface HubSocket {
  readonly bufferedAmount: number;
  send(data: string | Buffer, options: { binary: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
}

export interface Subscriber {
  orgId: string;
  userId: string;
  sessionId: string;
  socket: HubSocket;
  /** Last event id processed for this subscriber (delivered or filtered out). */
  cursor: number;
  catchingUp: boolean;
  ready: boolean;
  alive: boolean;
  filter: { conversation_id?: string; campaign_id?: string };
}

interface Delivered extends StoredEvent {
  userId: string | null;
  /** The frame, serialised and encoded once for every subscriber. */
  wire?: Buffer;
  json?: string;
}

interface Feed {
  orgId: string;
  head: number;
  ring: Delivered[];
  subs: Set<Subscriber>;
  pumping: Promise<void> | undefined;
  again: boolean;
  ready: Promise<void>;
}

export interface HubOptions {
  database: Database;
  events: Pick<EventService, 'rowsSince' | 'bounds'>;
  log: Log;
  metrics: Metrics;
  /** A subscriber whose unsent data exceeds this is disconnected (4008), not buffered further. */
  maxBufferedBytes?: number;
  heartbeatMs?: number;
  /** Re-checks each subscriber's session at every heartbeat; false closes it (4010). */
  sessionAlive(sub: Subscriber): Promise<boolean>;
}

const RING = 2000;
const PAGE = 500;

/**
 * Per-process fan-out of domain events to WebSocket subscribers. One feed per organisation with
 * subscribers here: a NOTIFY (or a periodic safety poll) makes the feed read new events once and hand
 * them to every subscriber in id order; a subscriber that is behind catches up from the table.
 */
export function createRealtimeHub(opts: HubOptions) {
  const { database, events: stored, log, metrics } = opts;
  const maxBuffered = opts.maxBufferedBytes ?? 1 << 20;
  const feeds = new Map<string, Feed>();
  let unlisten: (() => Promise<void>) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;

  function send(sub: Subscriber, frame: ServerFrame | Buffer): boolean {
    if (sub.socket.bufferedAmount > maxBuffered) {
      drop(sub, WS_CLOSE.tooSlow, 'too slow: reconnect and catch up');
      metrics.wsDropped.inc();
      return false;
    }
    try {
      // Encoded once, but always a text frame: browsers hand binary frames over as Blobs.
      sub.socket.send(Buffer.isBuffer(frame) ? frame : JSON.stringify(frame), { binary: false });
      return true;
    } catch {
      drop(sub, 1011, 'send failed');
      return false;
    }
  }

  const jsonOf = (e: Delivered) => {
    e.json ??= JSON.stringify({ id: e.id, created_at: e.created_at, event: e.event });
    return e.json;
  };
  const wireOf = (e: Delivered) => {
    e.wire ??= Buffer.from(`{"type":"event",${jsonOf(e).slice(1)}`);
    return e.wire;
  };

  function visible(sub: Subscriber, e: Delivered): boolean {
    if (e.userId && e.userId !== sub.userId) return false;
    const { conversation_id, campaign_id } = e.event as { conversation_id?: string; campaign_id?: string };
    if (sub.filter.conversation_id && conversation_id && conversation_id !== sub.filter.conversation_id)
      return false;
    if (sub.filter.campaign_id && campaign_id && campaign_id !== sub.filter.campaign_id) return false;
    return true;
  }

  /**
   * Sends the events a subscriber has not seen, in one frame (`event` for one, `events` for several):
   * under load this turns thousands of small writes into a few larger ones. Subscribers that see the
   * same events share one serialised frame through `shared`.
   */
  function deliver(sub: Subscriber, events: Delivered[], shared?: Map<string, Buffer>) {
    const out: Delivered[] = [];
    let hole = false;
    for (const e of events) {
      if (e.id <= sub.cursor) continue;
      if (e.id > sub.cursor + 1) {
        hole = true;
        break;
      }
      sub.cursor = e.id;
      if (visible(sub, e)) out.push(e);
    }
    if (out.length === 1) send(sub, wireOf(out[0]!));
    else if (out.length > 1) {
      const key = out.map((e) => e.id).join(',');
      let wire = shared?.get(key);
      if (!wire) {
        wire = Buffer.from(`{"type":"events","events":[${out.map(jsonOf).join(',')}]}`);
        shared?.set(key, wire);
      }
      send(sub, wire);
    }
    if (out.length) metrics.eventLag.observe((Date.now() - Date.parse(out[0]!.created_at)) / 1000);
    // A hole between what this subscriber has and what the feed holds: read it from the table.
    if (hole) void catchUp(sub);
  }

  const fromRow = (r: EventRow): Delivered => ({ ...toStored(r), userId: r.user_id });

  async function catchUp(sub: Subscriber) {
    if (sub.catchingUp) return;
    sub.catchingUp = true;
    try {
      for (;;) {
        const rows = await stored.rowsSince(sub.orgId, sub.cursor, PAGE);
        for (const e of rows.map(fromRow)) {
          sub.cursor = e.id;
          if (visible(sub, e) && !send(sub, wireOf(e))) return;
        }
        if (rows.length < PAGE) break;
      }
    } catch (err) {
      log.warn({ err, orgId: sub.orgId }, 'catch-up failed; closing the socket so the client reconnects');
      drop(sub, 1011, 'catch-up failed');
      return;
    } finally {
      sub.catchingUp = false;
    }
    const feed = feeds.get(sub.orgId);
    if (feed && sub.ready) deliver(sub, feed.ring);
  }

  function feedFor(orgId: string): Feed {
    let feed = feeds.get(orgId);
    if (!feed) {
      const f: Feed = {
        orgId,
        head: 0,
        ring: [],
        subs: new Set(),
        pumping: undefined,
        again: false,
        ready: Promise.resolve(),
      };
      f.ready = stored.bounds(orgId).then((b) => {
        f.head = Math.max(f.head, b.last);
      });
      feeds.set(orgId, f);
      feed = f;
    }
    return feed;
  }

  function pump(feed: Feed) {
    if (feed.pumping) {
      feed.again = true;
      return feed.pumping;
    }
    feed.pumping = (async () => {
      await feed.ready;
      do {
        feed.again = false;
        for (;;) {
          const rows = await stored.rowsSince(feed.orgId, feed.head, PAGE);
          if (!rows.length) break;
          const batch = rows.map(fromRow);
          feed.head = batch[batch.length - 1]!.id;
          feed.ring.push(...batch);
          if (feed.ring.length > RING) feed.ring.splice(0, feed.ring.length - RING);
          const shared = new Map<string, Buffer>();
          for (const sub of feed.subs) if (sub.ready && !sub.catchingUp) deliver(sub, batch, shared);
          if (rows.length < PAGE) break;
        }
      } while (feed.again);
    })()
      .catch((err) => log.warn({ err, orgId: feed.orgId }, 'reading new events failed'))
      .finally(() => {
        feed.pumping = undefined;
      });
    return feed.pumping;
  }

  function drop(sub: Subscriber, code: number, reason: string) {
    const feed = feeds.get(sub.orgId);
    if (feed?.subs.delete(sub)) metrics.wsConnections.dec();
    if (feed && feed.subs.size === 0) feeds.delete(sub.orgId);
    try {
      sub.socket.close(code, reason);
    } catch {
      sub.socket.terminate();
    }
  }

  return {
    async start() {
      unlisten = await database.listen(
        EVENTS_CHANNEL,
        (payload) => {
          const orgId = payload.split(':')[0]!;
          const feed = feeds.get(orgId);
          if (feed) void pump(feed);
        },
        () => {
          for (const f of feeds.values()) void pump(f);
        },
      );
      // A safety net for lost notifications (e.g. while the LISTEN connection reconnects).
      poll = setInterval(() => {
        for (const f of feeds.values()) void pump(f);
      }, 2000);
      heartbeat = setInterval(() => {
        for (const f of feeds.values()) {
          for (const sub of f.subs) {
            if (!sub.alive) {
              drop(sub, 1001, 'no heartbeat');
              continue;
            }
            sub.alive = false;
            sub.socket.ping();
            void opts.sessionAlive(sub).then(
              (ok) => {
                if (!ok) drop(sub, WS_CLOSE.sessionEnded, 'session ended');
              },
              () => {},
            );
          }
        }
      }, opts.heartbeatMs ?? 25_000);
    },

    async stop() {
      clearInterval(heartbeat);
      clearInterval(poll);
      for (const f of [...feeds.values()])
        for (const sub of [...f.subs]) drop(sub, 1001, 'server shutting down');
      await unlisten?.();
    },

    /** Registers a connected, authenticated socket; it receives nothing until it subscribes. */
    attach(ctx: { orgId: string; userId: string; sessionId: string }, socket: HubSocket): Subscriber {
      const sub: Subscriber = {
        ...ctx,
        socket,
        cursor: 0,
        catchingUp: false,
        ready: false,
        alive: true,
        filter: {},
      };
      feedFor(ctx.orgId).subs.add(sub);
      metrics.wsConnections.inc();
      return sub;
    },

    /** Starts (or restarts) the stream: replays after `since`, or tells the client to refetch. */
    async subscribe(sub: Subscriber, since: number | undefined, filter: Subscriber['filter']) {
      const feed = feedFor(sub.orgId);
      feed.subs.add(sub);
      await feed.ready;
      sub.filter = filter;
      sub.ready = false;
      const { last, first } = await stored.bounds(sub.orgId);
      if (since === undefined || since === last) {
        sub.cursor = last;
        sub.ready = true;
        send(sub, { type: 'ready', org_id: sub.orgId, last_id: last });
        deliver(sub, feed.ring);
        return;
      }
      const purged = since > last || (since < last && (first === 0 || first > since + 1));
      if (purged) {
        sub.cursor = last;
        sub.ready = true;
        send(sub, {
          type: 'resync',
          last_id: last,
          reason: since > last ? 'unknown event id' : 'history no longer kept',
        });
        deliver(sub, feed.ring);
        return;
      }
      sub.cursor = since;
      sub.ready = true;
      send(sub, { type: 'ready', org_id: sub.orgId, last_id: last });
      await catchUp(sub);
    },

    pong(sub: Subscriber) {
      sub.alive = true;
    },

    detach(sub: Subscriber) {
      const feed = feeds.get(sub.orgId);
      if (feed?.subs.delete(sub)) metrics.wsConnections.dec();
      if (feed && feed.subs.size === 0) feeds.delete(sub.orgId);
    },

    send,
    stats: () => ({
      feeds: feeds.size,
      subscribers: [...feeds.values()].reduce((n, f) => n + f.subs.size, 0),
    }),
  };
}
export type RealtimeHub = ReturnType<typeof createRealtimeHub>;
