import type { Notification } from '@openwaba/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { RelativeTime } from '../../components/relative-time.tsx';
import { Button } from '../../components/ui.tsx';
import { notificationKeys } from './keys.ts';

/** Only same-site paths are followed: a notification can never send someone off-site or run script. */
export const safePath = (url: string | null) => (url && /^\/(?!\/)[^\s]*$/.test(url) ? url : null);

export function NotificationBell() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const unread = useQuery({
    queryKey: notificationKeys.unread,
    queryFn: () => api.notifications.unreadCount(),
  });
  const list = useInfiniteQuery({
    queryKey: notificationKeys.list,
    queryFn: ({ pageParam }) => api.notifications.list(pageParam ? { before: pageParam } : {}),
    initialPageParam: '' as string,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: open,
  });
  const markRead = useMutation({
    mutationFn: (id: string) => api.notifications.markRead(id),
    onSuccess: (r) => {
      qc.setQueryData(notificationKeys.unread, r);
      void qc.invalidateQueries({ queryKey: notificationKeys.list });
    },
  });
  const markAll = useMutation({
    mutationFn: () => api.notifications.markAllRead(),
    onSuccess: (r) => {
      qc.setQueryData(notificationKeys.unread, r);
      void qc.invalidateQueries({ queryKey: notificationKeys.list });
    },
  });

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onClick = (e: MouseEvent) => {
      if (panel.current && !panel.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  const count = unread.data?.unread_count ?? 0;
  const items = list.data?.pages.flatMap((p) => p.data) ?? [];

  function openItem(n: Notification) {
    if (!n.is_read) markRead.mutate(n.id);
    const to = safePath(n.action_url);
    setOpen(false);
    if (to) navigate(to);
  }

  return (
    <div className="relative" ref={panel}>
      <button
        type="button"
        className="relative rounded-md p-2 text-slate-600 hover:bg-slate-100 hover:text-slate-900"
        aria-label={count ? `Notifications, ${count} unread` : 'Notifications'}
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => setOpen((o) => !o)}
        data-testid="bell"
      >
        <Icon name="bell" />
        {count > 0 && (
          <span
            className="absolute -top-0.5 -right-0.5 min-w-5 rounded-full bg-red-600 px-1 text-center text-xs font-semibold text-white"
            data-testid="bell-count"
          >
            {count > 99 ? '99+' : count}
          </span>
        )}
      </button>
      {open && (
        <div
          role="dialog"
          aria-label="Notifications"
          className="absolute right-0 z-20 mt-2 w-80 max-w-[90vw] rounded-lg border border-slate-200 bg-white shadow-lg sm:w-96"
        >
          <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
            <h2 className="text-sm font-semibold">Notifications</h2>
            <Button
              variant="ghost"
              onClick={() => markAll.mutate()}
              disabledReason={markAll.isPending ? 'Marking…' : !count && 'Everything is read'}
            >
              Mark all read
            </Button>
          </div>
          {list.error && <p className="p-4 text-sm text-red-700">{errorMessage(list.error)}</p>}
          {list.isPending && <p className="p-4 text-sm text-slate-500">Loading…</p>}
          {!list.isPending && items.length === 0 && (
            <p className="p-6 text-center text-sm text-slate-500">
              Nothing yet. Your campaigns, conversations assigned to you, mentions and imports show up here.
            </p>
          )}
          <ul className="max-h-96 overflow-y-auto">
            {items.map((n) => (
              <li key={n.id}>
                <button
                  type="button"
                  onClick={() => openItem(n)}
                  className={`block w-full border-b border-slate-100 px-4 py-3 text-left hover:bg-slate-50 ${n.is_read ? '' : 'bg-brand-50'}`}
                >
                  <span className="flex items-center justify-between gap-2">
                    <span
                      className={`text-sm ${n.is_read ? 'text-slate-700' : 'font-semibold text-slate-900'}`}
                    >
                      {n.title}
                    </span>
                    <span className="shrink-0 text-xs text-slate-500">
                      <RelativeTime iso={n.created_at} />
                    </span>
                  </span>
                  <span className="mt-0.5 block text-sm text-slate-600">{n.message}</span>
                </button>
              </li>
            ))}
          </ul>
          {list.hasNextPage && (
            <div className="p-2 text-center">
              <Button
                variant="secondary"
                onClick={() => list.fetchNextPage()}
                disabledReason={list.isFetchingNextPage && 'Loading…'}
              >
                {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </Button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
