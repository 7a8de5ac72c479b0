import type { Conversation, WaNumber } from '@openwaba/contracts';
import { Children, Fragment, type KeyboardEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Button } from '../../components/ui.tsx';
import { initialsOf, listTime, phoneOf, windowState } from './format.ts';

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

/** Up and down arrows move between conversations, as in a mail or chat client. */
function moveFocus(e: KeyboardEvent<HTMLUListElement>) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const links = [...e.currentTarget.querySelectorAll<HTMLAnchorElement>('a[data-conversation]')];
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  const next = links[e.key === 'ArrowDown' ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0)];
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

export function ConversationList({
  conversations,
  selectedId,
  numbers,
  now,
  hasMore,
  loadingMore,
  onLoadMore,
}: {
  conversations: Conversation[];
  selectedId: string | undefined;
  numbers: Map<string, WaNumber>;
  now: number;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}) {
  const today = new Date(now);
  return (
    <>
      <ul className="divide-y divide-slate-100" aria-label="Conversations" onKeyDown={moveFocus}>
        {conversations.map((c) => {
          const selected = c.id === selectedId;
          const phone = phoneOf(c.contact.wa_id);
          const number = numbers.get(c.number_id);
          const last = c.last_message;
          return (
            <li key={c.id}>
              <Link
                to={`/inbox/${c.id}`}
                data-conversation={c.id}
                aria-current={selected ? 'page' : undefined}
                className={`flex gap-3 px-3 py-3 outline-offset-[-2px] ${
                  selected ? 'bg-brand-50' : 'hover:bg-slate-50'
                }`}
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
                    <span
                      className={`truncate text-sm ${c.unread_count ? 'text-slate-900' : 'text-slate-600'}`}
                    >
                      {last ? `${last.direction === 'out' ? 'You: ' : ''}${last.preview}` : 'No messages yet'}
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
                    <WindowChip expiresAt={c.window_expires_at} now={now} />
                  </Facts>
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
      {hasMore && (
        <div className="p-3 text-center">
          <Button variant="secondary" onClick={onLoadMore} disabled={loadingMore} className="w-full">
            {loadingMore ? 'Loading…' : 'Load more conversations'}
          </Button>
        </div>
      )}
    </>
  );
}
