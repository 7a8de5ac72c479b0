import { type Campaign, RECIPIENT_STATES } from '@openwaba/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect } from '../../components/filters.tsx';
import { type Column, Table } from '../../components/table.tsx';
import {
  Alert,
  BackLink,
  Badge,
  type BadgeTone,
  Button,
  Card,
  ConfirmPanel,
  DownloadLink,
} from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { campaignKeys } from './keys.ts';
import {
  duration,
  FINISHED,
  n,
  pct,
  pollEvery,
  STATE_TONE,
  sendable,
  stateLabel,
  useCampaign,
  useCampaignRights,
  when,
} from './queries.ts';
import { StartPanel } from './start-panel.tsx';
import { inZone, useOrgTimezone } from './time.ts';

export function CampaignPage() {
  const { id = '' } = useParams();
  const campaign = useCampaign(id);
  const [tab, setTab] = useState<'progress' | 'report'>('progress');
  if (campaign.error) {
    return (
      <div className="space-y-3">
        <BackLink to="/campaigns">Campaigns</BackLink>
        <Alert>{errorMessage(campaign.error)}</Alert>
      </div>
    );
  }
  const c = campaign.data;
  if (!c) return <p className="text-sm text-slate-500">Loading campaign…</p>;
  const tabs = [
    ['progress', 'Progress and recipients'],
    ['report', 'Report'],
  ] as const;
  return (
    <div className="space-y-5">
      <Header campaign={c} />
      <div role="tablist" aria-label="Campaign views" className="flex gap-1 border-b border-slate-200">
        {tabs.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            id={`tab-${key}`}
            aria-selected={tab === key}
            aria-controls={`panel-${key}`}
            onClick={() => setTab(key)}
            className={`-mb-px border-b-2 px-3 py-2 text-sm ${
              tab === key
                ? 'border-brand-600 font-semibold text-brand-800'
                : 'border-transparent text-slate-600 hover:text-slate-900'
            }`}
          >
            {label}
          </button>
        ))}
      </div>
      {tab === 'progress' ? (
        <div role="tabpanel" id="panel-progress" aria-labelledby="tab-progress" className="space-y-5">
          <Progress campaign={c} />
          {c.preflight && <Preflight campaign={c} />}
          <Recipients campaign={c} />
        </div>
      ) : (
        <div role="tabpanel" id="panel-report" aria-labelledby="tab-report">
          <Report campaign={c} />
        </div>
      )}
    </div>
  );
}

// ---- header, actions --------------------------------------------------------------------------

function Header({ campaign: c }: { campaign: Campaign }) {
  const { canManage } = useCampaignRights();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const numbers = useNumbers();
  const tz = useOrgTimezone();
  const [confirmStop, setConfirmStop] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const apply = (next: Campaign) => {
    qc.setQueryData(campaignKeys.one(next.id), next);
    void qc.invalidateQueries({ queryKey: campaignKeys.list });
    void qc.invalidateQueries({ queryKey: campaignKeys.recipients(next.id) });
    void qc.invalidateQueries({ queryKey: campaignKeys.report(next.id) });
  };
  const action = useMutation({
    mutationFn: (verb: 'pause' | 'resume' | 'stop') => api.campaigns[verb](c.id),
    onSuccess: (next) => {
      setConfirmStop(false);
      apply(next);
    },
  });
  const remove = useMutation({
    mutationFn: () => api.campaigns.remove(c.id),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: campaignKeys.list });
      navigate('/campaigns', { state: { notice: `Deleted the campaign “${c.name}”.` } });
    },
  });
  const number = numbers.data?.data.find((x) => x.id === c.number_id);
  const busy = action.isPending;
  return (
    <div className="space-y-3">
      <BackLink to="/campaigns">Campaigns</BackLink>
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="text-xl font-semibold text-slate-900">{c.name}</h1>
        <Badge tone={STATE_TONE[c.state]}>
          <span data-testid="campaign-state">{stateLabel(c.state)}</span>
        </Badge>
        {canManage && (
          <div className="ml-auto flex flex-wrap gap-2">
            {c.state === 'running' && (
              <Button variant="secondary" disabled={busy} onClick={() => action.mutate('pause')}>
                Pause
              </Button>
            )}
            {c.state === 'paused' && (
              <Button disabled={busy} onClick={() => action.mutate('resume')}>
                Resume
              </Button>
            )}
            {['running', 'paused', 'scheduled'].includes(c.state) && (
              <Button variant="danger" disabled={busy} onClick={() => setConfirmStop(true)}>
                Stop
              </Button>
            )}
            {!['running', 'paused'].includes(c.state) && (
              <Button variant="ghost" onClick={() => setConfirmDelete(true)}>
                Delete
              </Button>
            )}
          </div>
        )}
      </div>
      <p className="text-sm text-slate-600">
        From {number?.display_name ?? '—'} · {c.templates.map((t) => `${t.name} (${t.language})`).join(', ')}
        {c.templates.length > 1 && (c.split === 'ab' ? ' · A/B split' : ' · sequential split')} · created{' '}
        {when(c.created_at)}
        {c.state === 'scheduled' && c.scheduled_at && <> · starts {inZone(c.scheduled_at, tz)}</>}
        {c.started_at && <> · started {when(c.started_at)}</>}
        {c.finished_at && <> · ended {when(c.finished_at)}</>}
      </p>
      {action.error && <Alert>{errorMessage(action.error)}</Alert>}
      {confirmStop && (
        <ConfirmPanel
          id="stop-title"
          title={`Stop “${c.name}”?`}
          confirmLabel="Stop the campaign"
          busyLabel="Stopping…"
          busy={busy}
          onConfirm={() => action.mutate('stop')}
          onCancel={() => setConfirmStop(false)}
        >
          Every recipient not sent yet is skipped. A stopped campaign cannot be resumed.
        </ConfirmPanel>
      )}
      {confirmDelete && (
        <ConfirmPanel
          id="delete-title"
          title={`Delete “${c.name}”?`}
          confirmLabel="Delete the campaign"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : undefined}
          onConfirm={() => remove.mutate()}
          onCancel={() => setConfirmDelete(false)}
        >
          Its recipients and report are deleted too.
        </ConfirmPanel>
      )}
      {c.state === 'paused' && (
        <Alert kind="info">Paused{c.paused_reason ? `: ${c.paused_reason}` : ' by a person.'}</Alert>
      )}
      {c.state === 'failed' && <Alert>Failed: {c.failure_reason ?? 'the pre-flight found problems.'}</Alert>}
      {c.state === 'draft' && canManage && (
        <Card title="Ready to go" description="A draft: nothing is sent until you start or schedule it.">
          <StartPanel draft={c} onStarted={() => undefined} />
        </Card>
      )}
    </div>
  );
}

// ---- live progress ----------------------------------------------------------------------------

function Counter({
  label,
  value,
  tone,
  testId,
}: {
  label: string;
  value: ReactNode;
  tone?: string;
  testId: string;
}) {
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2">
      <dt className="text-xs uppercase text-slate-500">{label}</dt>
      <dd
        className={`mt-0.5 text-lg font-semibold tabular-nums ${tone ?? 'text-slate-900'}`}
        data-testid={testId}
      >
        {value}
      </dd>
    </div>
  );
}

function Progress({ campaign: c }: { campaign: Campaign }) {
  const k = c.counts;
  const target = sendable(c);
  const done = k.sent + k.failed;
  const p = FINISHED.includes(c.state) && c.state === 'completed' ? 100 : Math.min(100, pct(done, target));
  const running = c.state === 'running';
  const eta = running && c.rate && c.rate > 0 ? k.queued / c.rate : running ? c.eta_seconds : null;
  return (
    <Card title="Progress">
      <div
        role="progressbar"
        aria-label="Campaign progress"
        aria-valuemin={0}
        aria-valuemax={target}
        aria-valuenow={done}
        className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div
          className={`h-full rounded-full transition-all ${c.state === 'paused' ? 'bg-amber-500' : 'bg-brand-600'}`}
          style={{ width: `${p}%` }}
        />
      </div>
      <p className="mt-2 flex flex-wrap gap-x-4 text-sm text-slate-700" aria-live="polite">
        <span>
          {n(done)} of {n(target)} processed ({p}%)
        </span>
        {running && (
          <span>
            Rate:{' '}
            <span data-testid="campaign-rate">{c.rate === null ? '—' : `${Math.round(c.rate)} msg/s`}</span>
          </span>
        )}
        {running && eta !== null && <span>ETA: about {duration(eta)}</span>}
      </p>
      <dl className="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-8" aria-label="Counters">
        <Counter label="Total" value={n(k.total)} testId="count-total" />
        <Counter label="Queued" value={n(k.queued)} testId="count-queued" />
        <Counter label="Sent" value={n(k.sent)} testId="count-sent" />
        <Counter label="Delivered" value={n(k.delivered)} testId="count-delivered" />
        <Counter label="Read" value={n(k.read)} testId="count-read" />
        <Counter
          label="Failed"
          value={n(k.failed)}
          tone={k.failed ? 'text-red-700' : undefined}
          testId="count-failed"
        />
        <Counter label="Skipped" value={n(k.skipped)} testId="count-skipped" />
        <Counter label="Invalid" value={n(k.invalid)} testId="count-invalid" />
      </dl>
    </Card>
  );
}

function Preflight({ campaign: c }: { campaign: Campaign }) {
  const f = c.preflight;
  if (!f) return null;
  const skipped = Object.entries(f.skipped);
  const money = (v: number) =>
    (() => {
      try {
        return v.toLocaleString(undefined, { style: 'currency', currency: f.estimated_cost.currency });
      } catch {
        return `${v.toFixed(2)} ${f.estimated_cost.currency}`;
      }
    })();
  return (
    <Card title="Pre-flight" description={`Checked ${when(f.checked_at)}.`}>
      <div className="space-y-3 text-sm" data-testid="preflight">
        {f.problems.length > 0 ? (
          <Alert>
            <p className="font-medium">Problems found:</p>
            <ul className="mt-1 list-disc pl-5">
              {f.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </Alert>
        ) : (
          <Alert kind="success">Every check passed: {n(f.ready)} recipients ready.</Alert>
        )}
        <dl className="grid gap-x-6 gap-y-2 sm:grid-cols-3">
          <div>
            <dt className="text-xs text-slate-500">Skipped</dt>
            <dd className="text-slate-900">
              {skipped.length === 0
                ? 'None'
                : skipped.map(([reason, count]) => (
                    <span key={reason} className="block">
                      {n(count)} — {reason}
                    </span>
                  ))}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Estimated cost</dt>
            <dd className="text-slate-900">
              {money(f.estimated_cost.total)}
              {Object.entries(f.estimated_cost.by_category).map(([cat, v]) => (
                <span key={cat} className="block text-xs text-slate-600">
                  {cat.toLowerCase()}: {money(v)}
                </span>
              ))}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Budget today</dt>
            <dd className="text-slate-900">
              {f.budget === null
                ? 'Unknown (Meta has not told us the messaging limit yet)'
                : `${n(f.budget)} new conversations`}
            </dd>
          </div>
        </dl>
      </div>
    </Card>
  );
}

// ---- recipients -------------------------------------------------------------------------------

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
    header: 'Phone',
    className: 'whitespace-nowrap tabular-nums',
    cell: (r) =>
      r.contact_id ? (
        <Link to={`/contacts/${r.contact_id}`} className="text-brand-700 hover:underline">
          {r.phone ?? r.input}
        </Link>
      ) : (
        (r.phone ?? r.input)
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

function Recipients({ campaign: c }: { campaign: Campaign }) {
  const [state, setState] = useState('');
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
    // Rows change state by the dozen each second while running, and delivery statuses arrive after the
    // sends, announced by no event: ask again while either is likely.
    refetchInterval: c.state === 'running' ? 3000 : pollEvery(c) ? 10_000 : false,
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

// ---- report -----------------------------------------------------------------------------------

const rate = (v: number) => `${Math.round(v * 1000) / 10}%`;

function Report({ campaign: c }: { campaign: Campaign }) {
  const report = useQuery({
    queryKey: campaignKeys.report(c.id),
    queryFn: () => api.campaigns.report(c.id),
    // Statuses keep arriving after the last send.
    refetchInterval: pollEvery(c) ? 5000 : false,
  });
  if (report.error) return <Alert>{errorMessage(report.error)}</Alert>;
  if (!report.data) return <p className="text-sm text-slate-500">Loading the report…</p>;
  return <ReportView report={report.data} />;
}

type CampaignReport = Awaited<ReturnType<typeof api.campaigns.report>>;

const FAILURE_COLUMNS: Column<CampaignReport['failures'][number]>[] = [
  { header: 'Code', className: 'font-mono', cell: (x) => x.code },
  { header: 'Error', cell: (x) => x.title },
  { header: 'Count', align: 'right', className: 'tabular-nums', cell: (x) => n(x.count) },
];

const TEMPLATE_COLUMNS: Column<CampaignReport['per_template'][number]>[] = [
  { header: 'Template', cell: (t) => t.name },
  { header: 'Sent', align: 'right', className: 'tabular-nums', cell: (t) => n(t.sent) },
  { header: 'Delivered', align: 'right', className: 'tabular-nums', cell: (t) => n(t.delivered) },
  { header: 'Read', align: 'right', className: 'tabular-nums', cell: (t) => n(t.read) },
  { header: 'Failed', align: 'right', className: 'tabular-nums', cell: (t) => n(t.failed) },
];

function ReportView({ report: r }: { report: CampaignReport }) {
  const f = r.funnel;
  const steps: [string, number][] = [
    ['Recipients', f.total],
    ['Sent', f.sent],
    ['Delivered', f.delivered],
    ['Read', f.read],
    ['Replied', f.replied],
  ];
  return (
    <div className="space-y-5" data-testid="campaign-report">
      <Alert kind="info">{r.note}</Alert>
      <Card title="Funnel">
        <ol className="space-y-2" aria-label="Funnel">
          {steps.map(([label, v]) => (
            <li key={label} className="grid grid-cols-[6rem_1fr_4rem] items-center gap-3 text-sm">
              <span className="text-slate-700">{label}</span>
              <span className="h-3 overflow-hidden rounded-full bg-slate-100">
                <span
                  className="block h-full rounded-full bg-brand-600"
                  style={{ width: `${pct(v, f.total)}%` }}
                />
              </span>
              <span className="text-right font-semibold tabular-nums">{n(v)}</span>
            </li>
          ))}
        </ol>
        <p className="mt-3 text-sm text-slate-600">
          Failed {n(f.failed)} · skipped {n(f.skipped)} · invalid {n(f.invalid)}
        </p>
      </Card>
      <div className="grid gap-5 lg:grid-cols-2">
        <Card title="Rates" description="Of the messages sent.">
          <dl className="grid grid-cols-2 gap-3 text-sm" aria-label="Rates">
            {(
              [
                ['Delivered', r.rates.delivered],
                ['Read', r.rates.read],
                ['Replied', r.rates.replied],
                ['Failed', r.rates.failed],
              ] as const
            ).map(([label, v]) => (
              <div key={label} className="rounded-md border border-slate-200 px-3 py-2">
                <dt className="text-xs uppercase text-slate-500">{label}</dt>
                <dd className="text-lg font-semibold tabular-nums">{rate(v)}</dd>
              </div>
            ))}
          </dl>
          <dl className="mt-3 grid grid-cols-2 gap-3 text-sm">
            <div>
              <dt className="text-xs text-slate-500">Duration</dt>
              <dd>{duration(r.duration_seconds)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Average rate</dt>
              <dd>{r.average_rate === null ? '—' : `${Math.round(r.average_rate * 10) / 10} msg/s`}</dd>
            </div>
          </dl>
        </Card>
        <Card title="Failures" description="Grouped by Meta's error code.">
          <Table
            caption="Failures by error"
            density="compact"
            columns={FAILURE_COLUMNS}
            rows={r.failures}
            rowKey={(x) => `${x.code}-${x.title}`}
            empty={<p className="text-sm text-slate-600">No failure.</p>}
          />
        </Card>
      </div>
      <Card title="Per template">
        <Table
          caption="Per template"
          density="compact"
          columns={TEMPLATE_COLUMNS}
          rows={r.per_template}
          rowKey={(t) => t.template_index}
        />
      </Card>
    </div>
  );
}
