import { type EventPage, ServerFrame, type StoredEvent } from '@openwaba/contracts';

/** What the client needs of a WebSocket (the browser's, or `ws` in Node). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type RealtimeStatus = 'connecting' | 'live' | 'polling' | 'closed';

export interface RealtimeOptions {
  /** e.g. `wss://example.com/ws`; in a browser it defaults to this origin's `/ws`. */
  url?: string;
  /** Opens a socket; defaults to the global WebSocket (browsers, Node ≥ 22). */
  connect?: (url: string) => SocketLike;
  /** Resume after this event id (e.g. stored from a previous page load). */
  since?: number;
  conversationId?: string;
  campaignId?: string;
  onEvent(event: StoredEvent): void;
  /** History was lost (too long offline): refetch what you show, then events continue. */
  onResync?(lastId: number): void;
  onStatus?(status: RealtimeStatus): void;
  /** Reads missed events over HTTP: `(since) => api.events.since(since)`. Used while the socket is down. */
  poll?(since: number): Promise<EventPage>;
  /** Called before reconnecting after an authentication close (e.g. `api.auth.refresh()`). */
  beforeReconnect?(): Promise<unknown>;
  /** Polling period while the socket is down (default 30 s). */
  pollIntervalMs?: number;
  /** Failed connection attempts before polling starts (default 2). */
  pollAfterFailures?: number;
  maxBackoffMs?: number;
}

/**
 * A realtime connection that never gives up: reconnects with backoff, resumes from the last event
 * id (no gaps, no duplicates), and falls back to polling `GET /api/v1/events` every 30 s while the
 * socket cannot be opened.
 *
 * @example
 * const rt = createRealtime({
 *   onEvent: ({ event }) => { if (event.type === 'notification.created') showBell(event.data.unread_count); },
 *   poll: (since) => api.events.since(since),
 *   beforeReconnect: () => api.auth.refresh(),
 * });
 * // later: rt.close();
 */
export function createRealtime(opts: RealtimeOptions) {
  const url = opts.url ?? defaultUrl();
  const connect =
    opts.connect ??
    ((u: string) => new (globalThis as unknown as { WebSocket: new (u: string) => SocketLike }).WebSocket(u));
  const pollEvery = opts.pollIntervalMs ?? 30_000;
  const pollAfter = opts.pollAfterFailures ?? 2;
  const maxBackoff = opts.maxBackoffMs ?? 15_000;
  let lastId: number | undefined = opts.since;
  let socket: SocketLike | undefined;
  let failures = 0;
  let closed = false;
  let status: RealtimeStatus | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let polling = false;

  const setStatus = (s: RealtimeStatus) => {
    if (s !== status) {
      status = s;
      opts.onStatus?.(s);
    }
  };

  function deliver(e: StoredEvent) {
    if (lastId !== undefined && e.id <= lastId) return;
    lastId = e.id;
    opts.onEvent(e);
  }

  async function pollOnce() {
    if (!opts.poll || polling || lastId === undefined) return;
    polling = true;
    try {
      for (;;) {
        const page = await opts.poll(lastId);
        if (page.resync) {
          lastId = page.last_id;
          opts.onResync?.(page.last_id);
          break;
        }
        for (const e of page.data) deliver(e);
        if (page.last_id > lastId) lastId = page.last_id;
        if (page.data.length === 0 || status !== 'polling') break;
      }
    } catch {
      // the server is unreachable too; try again at the next tick
    } finally {
      polling = false;
    }
  }

  function startPolling() {
    if (!opts.poll || pollTimer) return;
    setStatus('polling');
    void pollOnce();
    pollTimer = setInterval(() => void pollOnce(), pollEvery);
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = undefined;
  }

  function open() {
    if (closed) return;
    if (status !== 'polling') setStatus('connecting');
    let s: SocketLike;
    try {
      s = connect(url);
    } catch {
      failures++;
      scheduleReconnect();
      return;
    }
    socket = s;
    let opened = false;
    s.onopen = () => {
      opened = true;
      s.send(
        JSON.stringify({
          type: 'subscribe',
          ...(lastId !== undefined ? { since: lastId } : {}),
          ...(opts.conversationId ? { conversation_id: opts.conversationId } : {}),
          ...(opts.campaignId ? { campaign_id: opts.campaignId } : {}),
        }),
      );
    };
    s.onmessage = (ev) => {
      let frame: ServerFrame;
      try {
        const parsed = ServerFrame.safeParse(JSON.parse(String(ev.data)));
        if (!parsed.success) return;
        frame = parsed.data;
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        failures = 0;
        stopPolling();
        if (lastId === undefined) lastId = frame.last_id;
        setStatus('live');
      } else if (frame.type === 'resync') {
        failures = 0;
        stopPolling();
        lastId = frame.last_id;
        setStatus('live');
        opts.onResync?.(frame.last_id);
      } else if (frame.type === 'event') {
        deliver({ id: frame.id, created_at: frame.created_at, event: frame.event });
      } else if (frame.type === 'events') {
        for (const e of frame.events) deliver(e);
      }
    };
    s.onerror = () => {};
    s.onclose = (ev) => {
      if (socket !== s) return;
      socket = undefined;
      if (closed) return;
      failures++;
      // A refused upgrade (e.g. an expired access cookie) shows up as a close before open.
      scheduleReconnect(!opened || ev.code === 4001 || ev.code === 4010);
    };
  }

  function scheduleReconnect(refresh = false) {
    if (closed) return;
    if (failures >= pollAfter) startPolling();
    else setStatus('connecting');
    const delay = Math.min(maxBackoff, 250 * 2 ** Math.min(failures, 8)) * (0.75 + Math.random() * 0.5);
    reconnectTimer = setTimeout(async () => {
      if (refresh && opts.beforeReconnect) await opts.beforeReconnect().catch(() => {});
      open();
    }, delay);
  }

  open();
  return {
    /** The newest event id seen; store it to resume later. */
    lastId: () => lastId,
    status: () => status,
    close() {
      closed = true;
      clearTimeout(reconnectTimer);
      stopPolling();
      socket?.close(1000, 'client closed');
      socket = undefined;
      setStatus('closed');
    },
  };
}
export type Realtime = ReturnType<typeof createRealtime>;

function defaultUrl(): string {
  const loc = (globalThis as { location?: { protocol: string; host: string } }).location;
  if (!loc) throw new Error('createRealtime: pass `url` outside a browser');
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}
