import type { Conversation, WaNumber } from '@openwaba/contracts';
import { defaultRangeExtractor, useVirtualizer } from '@tanstack/react-virtual';
import {
  Children,
  Fragment,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { Link } from 'react-router';
import { Button } from '../../components/ui.tsx';
import { addressOf, initialsOf, listTime, windowState } from './format.ts';

export function Avatar({
  name,
  waId,
  size = 'md',
}: {
  name: string | null;
  waId: string;
  size?: 'md' | 'lg';
}) {
  return (
    <span
      aria-hidden="true"
      className={`flex shrink-0 items-center justify-center rounded-full bg-brand-100 font-semibold text-brand-800 ${
        size === 'lg' ? 'h-10 w-10 text-sm' : 'h-9 w-9 text-xs'
      }`}
    >
      {initialsOf(name, waId)}
    </span>
  );
}

export function WindowChip({ expiresAt, now }: { expiresAt: string | null; now: number }) {
  const w = windowState(expiresAt, now);
  return (
    <span
      className={`inline-flex items-center gap-1 whitespace-nowrap ${w.open ? 'text-emerald-700' : 'text-slate-500'}`}
      title="The 24-hour window: free-form replies are possible until it closes, then only templates."
    >
      <span
        aria-hidden="true"
        className={`h-1.5 w-1.5 rounded-full ${w.open ? 'bg-emerald-500' : 'bg-slate-400'}`}
      />
      <span className="sr-only">24-hour window </span>
      {w.label}
    </span>
  );
}

/** Small facts in a row, separated by middle dots (empty ones left out). */
export function Facts({ children, className = '' }: { children: ReactNode; className?: string }) {
  const items = Children.toArray(children);
  return (
    <span className={`flex flex-wrap items-center gap-x-1.5 gap-y-0.5 text-xs text-slate-500 ${className}`}>
      {items.map((item, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a fixed, short list of facts
        <Fragment key={i}>
          {i > 0 && <span aria-hidden="true">·</span>}
          {item}
        </Fragment>
      ))}
    </span>
  );
}

/** Rows rendered beyond the visible ones, so short scrolls and arrow keys never show a gap. */
const OVERSCAN = 8;
/** The next page is asked for when this few rows are left below the visible ones. */
const PREFETCH_ROWS = 15;
/** A row's usual height (measured once rendered; wrapping facts make some taller). */
const ROW_ESTIMATE = 88;

/**
 * Conversations as a virtual list: only the rows in view (and a few around them) are in the DOM,
 * so the inbox stays fast at 100k conversations. Scrolling near the end loads the next page by
 * cursor; the list is still a `ul` of links, and the arrow keys, Home and End move between
 * conversations, as in a mail or chat client, scrolling rows in as they go.
 */
export function ConversationList({
  conversations,
  selectedId,
  numbers,
  now,
  hasMore,
  loadingMore,
  onLoadMore,
  scrollRef,
  resetKey,
}: {
  conversations: Conversation[];
  selectedId: string | undefined;
  numbers: Map<string, WaNumber>;
  now: number;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  /** The scrolling element that holds the list. */
  scrollRef: RefObject<HTMLElement | null>;
  /** When it changes (new filters), the list starts again at the top. */
  resetKey: string;
}) {
  const listRef = useRef<HTMLUListElement>(null);
  // The focused row stays rendered when scrolled out of view, or focus would fall to the page.
  const focusedIndex = useRef<number | null>(null);
  const pendingFocus = useRef<number | null>(null);
  const [scrollMargin, setScrollMargin] = useState(0);
  const virtualizer = useVirtualizer({
    count: conversations.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_ESTIMATE,
    overscan: OVERSCAN,
    getItemKey: (i) => conversations[i]?.id ?? i,
    scrollMargin,
    rangeExtractor: (range) => {
      const rows = defaultRangeExtractor(range);
      const f = focusedIndex.current;
      return f === null || f >= range.count || rows.includes(f) ? rows : [...rows, f].sort((a, b) => a - b);
    },
    // React 19 warns about flushSync inside its own rendering; a frame's delay is not visible.
    useFlushSync: false,
  });
  const rows = virtualizer.getVirtualItems();
  const lastIndex = rows[rows.length - 1]?.index ?? -1;

  // Anything above the list in the same scroller (an error notice) shifts where the rows start.
  useLayoutEffect(() => {
    const top = listRef.current?.offsetTop ?? 0;
    if (top !== scrollMargin) setScrollMargin(top);
  });

  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= conversations.length - 1 - PREFETCH_ROWS) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, conversations.length, onLoadMore]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the filters change, by design
  useEffect(() => {
    focusedIndex.current = null;
    pendingFocus.current = null;
    scrollRef.current?.scrollTo({ top: 0 });
  }, [resetKey, scrollRef]);

  // A row asked for by Home/End may only be rendered after scrolling to it.
  useEffect(() => {
    const i = pendingFocus.current;
    if (i === null) return;
    const link = listRef.current?.querySelector<HTMLAnchorElement>(`a[data-index="${i}"]`);
    if (link) {
      pendingFocus.current = null;
      link.focus();
    }
  });

  function moveFocus(e: KeyboardEvent<HTMLUListElement>) {
    // Keys pressed faster than rows render count from the row still waiting for focus.
    const at =
      pendingFocus.current ?? Number((document.activeElement as HTMLElement | null)?.dataset.index ?? -1);
    const last = conversations.length - 1;
    const next =
      e.key === 'ArrowDown'
        ? Math.min(at + 1, last)
        : e.key === 'ArrowUp'
          ? Math.max(at - 1, 0)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? last
              : null;
    if (next === null || next < 0 || at < 0) return;
    e.preventDefault();
    virtualizer.scrollToIndex(next, { align: 'auto' });
    pendingFocus.current = next;
    const link = listRef.current?.querySelector<HTMLAnchorElement>(`a[data-index="${next}"]`);
    if (link) {
      pendingFocus.current = null;
      link.focus();
    }
  }

  const today = new Date(now);
  const more = hasMore || conversations.length === 0 ? -1 : conversations.length;
  return (
    <>
      <ul
        ref={listRef}
        aria-label="Conversations"
        onKeyDown={moveFocus}
        onFocus={(e) => {
          const i = (e.target as HTMLElement).dataset.index;
          focusedIndex.current = i === undefined ? null : Number(i);
        }}
        onBlur={() => {
          focusedIndex.current = null;
        }}
        className="relative"
        style={{ height: virtualizer.getTotalSize() }}
      >
        {rows.map((row) => {
          const c = conversations[row.index];
          if (!c) return null;
          return (
            <li
              key={row.key}
              ref={virtualizer.measureElement}
              data-index={row.index}
              // Screen readers hear "3 of 120" (or of an unknown number while more can load).
              aria-setsize={more}
              aria-posinset={row.index + 1}
              className="absolute top-0 left-0 w-full border-b border-slate-100"
              style={{ transform: `translateY(${row.start - virtualizer.options.scrollMargin}px)` }}
            >
              <ConversationRow
                c={c}
                index={row.index}
                selected={c.id === selectedId}
                number={numbers.get(c.number_id)}
                now={now}
                today={today}
              />
            </li>
          );
        })}
      </ul>
      {hasMore && (
        <div className="p-3 text-center">
          {/* Scrolling loads more by itself; the button is there for keyboards and slow networks. */}
          <Button
            variant="secondary"
            onClick={onLoadMore}
            disabledReason={loadingMore && 'Loading…'}
            className="w-full"
          >
            {loadingMore ? 'Loading…' : 'Load more conversations'}
          </Button>
        </div>
      )}
    </>
  );
}

function ConversationRow({
  c,
  index,
  selected,
  number,
  now,
  today,
}: {
  c: Conversation;
  index: number;
  selected: boolean;
  number: WaNumber | undefined;
  now: number;
  today: Date;
}) {
  const phone = addressOf(c.contact);
  const last = c.last_message;
  return (
    <Link
      to={`/inbox/${c.id}`}
      data-conversation={c.id}
      data-index={index}
      aria-current={selected ? 'page' : undefined}
      className={`flex gap-3 px-3 py-3 outline-offset-[-2px] ${selected ? 'bg-brand-50' : 'hover:bg-slate-50'}`}
    >
      <Avatar name={c.contact.name} waId={c.contact.wa_id} />
      <span className="min-w-0 flex-1">
        <span className="flex items-baseline justify-between gap-2">
          <span className="truncate font-medium text-slate-900">{c.contact.name ?? phone}</span>
          <time
            dateTime={c.last_message_at ?? undefined}
            className={`shrink-0 text-xs ${c.unread_count ? 'font-semibold text-brand-700' : 'text-slate-500'}`}
          >
            {listTime(c.last_message_at, today)}
          </time>
        </span>
        <span className="mt-0.5 flex items-center justify-between gap-2">
          <span className={`truncate text-sm ${c.unread_count ? 'text-slate-900' : 'text-slate-600'}`}>
            {last ? `${senderPrefix(last)}${last.preview}` : 'No messages yet'}
          </span>
          {c.unread_count > 0 && (
            <span className="flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-brand-600 px-1.5 text-xs font-semibold text-white">
              {c.unread_count}
              <span className="sr-only"> unread</span>
            </span>
          )}
        </span>
        <Facts className="mt-1">
          {c.contact.name ? <span>{phone}</span> : null}
          {number ? (
            <span className="truncate" title="The number this customer wrote to">
              {number.display_name}
            </span>
          ) : null}
          {/* Open is the usual case; the others are marked, as the list may mix them. */}
          {c.status !== 'open' ? (
            <span className="rounded bg-slate-100 px-1.5 font-medium text-slate-700 capitalize">
              {c.status}
            </span>
          ) : null}
          <WindowChip expiresAt={c.window_expires_at} now={now} />
        </Facts>
      </span>
    </Link>
  );
}

/** Who wrote the last message, before its preview: the customer's has none, ours say who sent it. */
function senderPrefix(last: { direction: string; source: string | null }) {
  if (last.direction !== 'out') return '';
  if (last.source === 'ai') return 'AI: ';
  if (last.source === 'automation') return 'Automation: ';
  if (last.source === 'campaign') return 'Campaign: ';
  return 'You: ';
}
