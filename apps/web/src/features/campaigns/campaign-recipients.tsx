import { type Campaign, RECIPIENT_STATES } from '@openwaba/contracts';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect } from '../../components/filters.tsx';
import { type Column, Table } from '../../components/table.tsx';
import { Alert, Badge, type BadgeTone, Button, Card, DownloadLink } from '../../components/ui.tsx';
import { campaignKeys } from './keys.ts';
import { pollEvery, stateLabel, when } from './queries.ts';

const RECIPIENT_TONE: Record<string, BadgeTone> = {
  pending: 'slate',
  queued: 'sky',
  sent: 'green',
  failed: 'red',
  skipped: 'amber',
  invalid: 'red',
};

function errorText(e: unknown): string | null {
  if (!e || typeof e !== 'object') return null;
  const o = e as { code?: unknown; title?: unknown; message?: unknown };
  const parts = [o.code, o.title ?? o.message].filter((x) => x !== undefined && x !== null).map(String);
  return parts.length ? parts.join(' · ') : null;
}

type Recipient = Awaited<ReturnType<typeof api.campaigns.recipients>>['data'][number];

const recipientColumns = (c: Campaign): Column<Recipient>[] => [
  {
    header: 'Recipient',
    cell: (r) => (
      <span className="flex flex-col">
        {r.contact_id ? (
          <Link to={`/contacts/${r.contact_id}`} className="text-brand-700 hover:underline">
            {r.name || <span className="italic">No name</span>}
          </Link>
        ) : (
          <span className="text-slate-500 italic">Not a contact</span>
        )}
        <span className="whitespace-nowrap text-xs text-slate-600 tabular-nums">{r.phone ?? r.input}</span>
      </span>
    ),
  },
  {
    header: 'State',
    cell: (r) => <Badge tone={RECIPIENT_TONE[r.state] ?? 'slate'}>{stateLabel(r.state)}</Badge>,
  },
  { header: 'Delivery', className: 'text-slate-700', cell: (r) => (r.status ? stateLabel(r.status) : '—') },
  {
    header: 'Template',
    from: 'sm',
    className: 'text-slate-700',
    cell: (r) => c.templates[r.template_index]?.name ?? '—',
  },
  {
    header: 'Reason or error',
    className: 'text-slate-700',
    cell: (r) => r.reason ?? errorText(r.error) ?? '—',
  },
  { header: 'Sent', from: 'md', className: 'text-slate-600', cell: (r) => when(r.sent_at) },
];

const STATE_OPTIONS: [string, string][] = [
  ['', 'All'],
  ...RECIPIENT_STATES.map((s): [string, string] => [s, stateLabel(s)]),
];

/** At most one refetch of the recipients per this many ms while realtime events move the counters. */
const LIVE_EVERY_MS = 2000;

/**
 * The counters move with each realtime event (`campaign.progress` patches the cached campaign); the
 * recipients follow: the pages shown (this filter, every page loaded) are fetched again when the counts
 * change, at most every 2 s — first at once, then once more at the end of a burst.
 */
function useFollowCounts(c: Campaign, state: string) {
  const qc = useQueryClient();
  const counts = JSON.stringify(c.counts);
  const seen = useRef(counts);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  // A refetch that waits takes the filter shown when it runs, not the one when it was planned.
  const key = useRef(campaignKeys.recipientPages(c.id, state));
  key.current = campaignKeys.recipientPages(c.id, state);
  useEffect(() => {
    if (seen.current === counts) return;
    seen.current = counts;
    const refetch = () => {
      last.current = Date.now();
      timer.current = undefined;
      void qc.invalidateQueries({ queryKey: key.current, exact: true });
    };
    const wait = last.current + LIVE_EVERY_MS - Date.now();
    if (wait <= 0) refetch();
    else timer.current ??= setTimeout(refetch, wait);
  }, [counts, qc]);
  useEffect(() => () => clearTimeout(timer.current), []);
}

/** Every recipient with its state, delivery and reason, filtered by state, a page at a time. */
export function Recipients({ campaign: c }: { campaign: Campaign }) {
  const [state, setState] = useState('');
  useFollowCounts(c, state);
  const pages = useInfiniteQuery({
    queryKey: campaignKeys.recipientPages(c.id, state),
    queryFn: ({ pageParam }) =>
      api.campaigns.recipients(c.id, {
        ...(state ? { state } : {}),
        ...(pageParam !== undefined ? { after: pageParam } : {}),
        limit: 50,
      }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // Realtime events drive the refetches (above); delivery statuses also arrive after the last send,
    // and a socket may drop: a slow poll while either is likely.
    refetchInterval: pollEvery(c) ? 10_000 : false,
  });
  const rows = pages.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Card title="Recipients">
      <FilterBar boxed={false} label="Recipient filters">
        <FilterSelect
          label="State"
          className="w-40"
          value={state}
          options={STATE_OPTIONS}
          onChange={setState}
        />
        <div className="ml-auto">
          <DownloadLink href={api.campaigns.exportUrl(c.id)}>Download CSV</DownloadLink>
        </div>
      </FilterBar>
      {pages.error && <Alert>{errorMessage(pages.error)}</Alert>}
      <Table
        caption="Recipients"
        look="inset"
        columns={recipientColumns(c)}
        rows={rows}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ 'data-recipient-state': r.state })}
        status={pages.status}
        loadingText="Loading recipients…"
        empty={`No recipient${state ? ` in the state “${state}”` : ''}.`}
      />
      {pages.hasNextPage && (
        <div className="mt-3">
          <Button
            variant="secondary"
            disabled={pages.isFetchingNextPage}
            onClick={() => pages.fetchNextPage()}
          >
            {pages.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </Button>
        </div>
      )}
    </Card>
  );
}
