import type { ReportOverview } from '@openwaba/contracts';
import { useState } from 'react';
import { Link } from 'react-router';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { errorMessage } from '../../api.ts';
import { Table } from '../../components/table.tsx';
import { Alert, Badge, type BadgeTone, Card, cx } from '../../components/ui.tsx';
import { sendable, useCampaigns } from '../campaigns/queries.ts';
import { ChartCard, COLOURS, ReportBar } from './charts.tsx';
import { changeText, count, duration, money, pct, shortDay } from './format.ts';
import { csvUrl, useReport } from './queries.ts';
import { useReportRange } from './use-report-range.ts';

type KpiKey = Exclude<keyof ReportOverview['kpis'], 'first_response_median'>;
/** `worse`: a rise is bad news (failures, opt-outs), so it is shown in red. */
const KPIS: { key: KpiKey; label: string; kind: 'count' | 'rate' | 'money'; worse?: boolean }[] = [
  { key: 'sent', label: 'Sent', kind: 'count' },
  { key: 'received', label: 'Received', kind: 'count' },
  { key: 'delivery_rate', label: 'Delivery rate', kind: 'rate' },
  { key: 'read_rate', label: 'Read rate', kind: 'rate' },
  { key: 'reply_rate', label: 'Reply rate', kind: 'rate' },
  { key: 'failed', label: 'Failed', kind: 'count', worse: true },
  { key: 'new_contacts', label: 'New contacts', kind: 'count' },
  { key: 'opt_ins', label: 'Opt-ins', kind: 'count' },
  { key: 'opt_outs', label: 'Opt-outs', kind: 'count', worse: true },
  { key: 'spend', label: 'Spend', kind: 'money' },
];

function KpiCard({
  label,
  value,
  change,
  tone,
  children,
  testId,
}: {
  label: string;
  value: string;
  /** `vs`: false when the text already says what it compares ("no replies in either period"). */
  change?: { text: string; arrow: string; className: string; vs?: boolean; detail?: string };
  tone?: string;
  children?: React.ReactNode;
  testId: string;
}) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-sm" data-testid={testId}>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd
        className={cx('mt-1 text-2xl font-semibold tabular-nums', tone ?? 'text-slate-900')}
        data-kpi-value=""
      >
        {value}
      </dd>
      {change && (
        <dd className={cx('mt-0.5 text-xs', change.className)} data-kpi-change="">
          <span aria-hidden="true">{change.arrow} </span>
          {change.text}
          {change.vs !== false && <span className="text-slate-500"> vs previous period</span>}
          {change.detail && <span className="text-slate-500"> {change.detail}</span>}
        </dd>
      )}
      {children}
    </div>
  );
}

function Kpis({ o }: { o: ReportOverview }) {
  const fmt = (kind: 'count' | 'rate' | 'money', v: number) =>
    kind === 'rate' ? pct(v) : kind === 'money' ? money(v, o.currency) : count(v);
  return (
    <dl className="mb-6 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-6">
      {KPIS.map(({ key, label, kind, worse }) => {
        const k = o.kpis[key];
        const text = changeText(k.change, k.current);
        // Something where there was nothing counts as a rise.
        const up = k.change === null ? k.current > 0 : k.change > 0.005;
        const down = (k.change ?? 0) < -0.005;
        const good = worse ? down : up;
        const bad = worse ? up : down;
        return (
          <KpiCard
            key={key}
            label={label}
            value={fmt(kind, k.current)}
            testId={`kpi-${key}`}
            change={{
              text,
              arrow: up ? '▲' : down ? '▼' : '–',
              className: good ? 'text-emerald-700' : bad ? 'text-red-700' : 'text-slate-600',
            }}
          >
            {key === 'failed' && o.top_failures.length > 0 && (
              <dd className="mt-1 text-xs text-slate-600">
                Top reasons:{' '}
                {o.top_failures
                  .slice(0, 3)
                  .map((f) => `${f.code} (${count(f.count)})`)
                  .join(', ')}
              </dd>
            )}
          </KpiCard>
        );
      })}
      <FirstResponseKpi k={o.kpis.first_response_median} />
      <KpiCard label="Open conversations" value={count(o.open_conversations)} testId="kpi-open_conversations">
        <dd className="mt-0.5 text-xs text-slate-500">now</dd>
      </KpiCard>
    </dl>
  );
}

/** Median first response: shorter is better, so a fall is shown in green. */
function FirstResponseKpi({ k }: { k: ReportOverview['kpis']['first_response_median'] }) {
  const up = k.change !== null && k.change > 0.005;
  const down = k.change !== null && k.change < -0.005;
  // Read with "vs previous period" after it, unless it says what it compares itself.
  const text =
    k.current === null
      ? k.previous === null
        ? 'no replies in either period'
        : `none this period (was ${duration(k.previous)})`
      : k.previous === null
        ? 'new this period'
        : k.change === null || (!up && !down)
          ? 'no change'
          : `${up ? 'up' : 'down'} ${Math.round(Math.abs(k.change) * 100).toLocaleString('en-GB')} %`;
  return (
    <KpiCard
      label="Median first response"
      value={duration(k.current)}
      testId="kpi-first_response_median"
      change={{
        text,
        vs: k.current !== null,
        ...(up || down ? { detail: `(was ${duration(k.previous)})` } : {}),
        arrow: up ? '▲' : down ? '▼' : '–',
        className: down ? 'text-emerald-700' : up ? 'text-red-700' : 'text-slate-600',
      }}
    />
  );
}

function SeriesChart({ o }: { o: ReportOverview }) {
  const rows = o.series;
  return (
    <ChartCard
      title="Messages per day"
      testId="chart-series"
      summary={`Sent, delivered, read and failed messages per day from ${o.range.from} to ${o.range.to}; the table below holds the figures.`}
      chart={
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={rows} margin={{ top: 5, right: 10, left: 0, bottom: 5 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis dataKey="day" tickFormatter={shortDay} fontSize={12} />
            <YAxis allowDecimals={false} fontSize={12} />
            <Tooltip labelFormatter={(d) => shortDay(String(d))} />
            <Legend />
            <Line
              isAnimationActive={false}
              type="monotone"
              dataKey="sent"
              name="Sent"
              stroke={COLOURS.sent}
              dot={false}
              strokeWidth={2}
            />
            <Line
              isAnimationActive={false}
              type="monotone"
              dataKey="delivered"
              name="Delivered"
              stroke={COLOURS.delivered}
              dot={false}
              strokeDasharray="6 3"
              strokeWidth={2}
            />
            <Line
              isAnimationActive={false}
              type="monotone"
              dataKey="read"
              name="Read"
              stroke={COLOURS.read}
              dot={false}
              strokeWidth={2}
            />
            <Line
              isAnimationActive={false}
              type="monotone"
              dataKey="failed"
              name="Failed"
              stroke={COLOURS.failed}
              dot={false}
              strokeDasharray="2 2"
              strokeWidth={2}
            />
          </LineChart>
        </ResponsiveContainer>
      }
      table={
        <Table
          caption="Messages per day"
          look="inset"
          density="compact"
          rows={rows}
          rowKey={(r) => r.day}
          testId="table-series"
          columns={[
            { header: 'Day', cell: (r) => r.day },
            { header: 'Sent', align: 'right', className: 'tabular-nums', cell: (r) => count(r.sent) },
            {
              header: 'Delivered',
              align: 'right',
              className: 'tabular-nums',
              cell: (r) => count(r.delivered),
            },
            { header: 'Read', align: 'right', className: 'tabular-nums', cell: (r) => count(r.read) },
            { header: 'Failed', align: 'right', className: 'tabular-nums', cell: (r) => count(r.failed) },
            { header: 'Received', align: 'right', className: 'tabular-nums', cell: (r) => count(r.inbound) },
          ]}
        />
      }
    />
  );
}

function HourChart({ o }: { o: ReportOverview }) {
  return (
    <ChartCard
      title="Messages by hour of the day"
      testId="chart-hours"
      summary={`Customers' messages and ours by hour of the day (${o.timezone}); the table below holds the figures.`}
      chart={
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={o.by_hour} margin={{ top: 5, right: 10, left: 0, bottom: 5 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis dataKey="hour" fontSize={12} tickFormatter={(h) => `${h}h`} />
            <YAxis allowDecimals={false} fontSize={12} />
            <Tooltip labelFormatter={(h) => `${h}:00–${h}:59`} />
            <Legend />
            <Bar isAnimationActive={false} dataKey="inbound" name="Received" fill={COLOURS.inbound} />
            <Bar isAnimationActive={false} dataKey="outbound" name="Sent" fill={COLOURS.outbound} />
          </BarChart>
        </ResponsiveContainer>
      }
      table={
        <Table
          caption="Messages by hour of the day"
          look="inset"
          density="compact"
          rows={o.by_hour}
          rowKey={(r) => r.hour}
          columns={[
            { header: 'Hour', cell: (r) => `${String(r.hour).padStart(2, '0')}:00` },
            { header: 'Received', align: 'right', className: 'tabular-nums', cell: (r) => count(r.inbound) },
            { header: 'Sent', align: 'right', className: 'tabular-nums', cell: (r) => count(r.outbound) },
          ]}
        />
      }
    />
  );
}

const QUALITY_TONE: Record<string, BadgeTone> = { GREEN: 'green', YELLOW: 'amber', RED: 'red' };

/**
 * The portfolio's messaging limit used in the last 24 hours (unique users Meta accepted a template
 * to, shared by the portfolio's numbers): "312 of 1,000 (31 %)" and a bar.
 */
function LimitUsed({ n }: { n: ReportOverview['numbers_health'][number] }) {
  if (n.limit === null)
    return (
      <span className="text-xs text-slate-600">
        {count(n.used)} used{n.messaging_limit_tier === 'TIER_UNLIMITED' ? ' (unlimited)' : ''}
      </span>
    );
  const p = n.limit ? Math.min(100, Math.round((n.used / n.limit) * 100)) : 0;
  return (
    <div className="flex items-center gap-2">
      <div
        className="h-2 w-20 rounded bg-slate-100"
        role="progressbar"
        aria-label={`${n.display_name} messaging limit used`}
        aria-valuenow={p}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div
          className={`h-2 rounded ${p >= 90 ? 'bg-red-600' : p >= 70 ? 'bg-amber-500' : 'bg-brand-600'}`}
          style={{ width: `${p}%` }}
        />
      </div>
      <span className="tabular-nums text-xs">
        {count(n.used)} of {count(n.limit)} used ({p} %)
      </span>
    </div>
  );
}

/** Campaigns sending now (moved live by campaign.progress) and each number's health. */
function NowPanels({ health }: { health: ReportOverview['numbers_health'] }) {
  const campaigns = useCampaigns();
  const running = (campaigns.data?.data ?? []).filter((c) => c.state === 'running' || c.state === 'paused');
  return (
    <div className="mt-6 grid gap-4 lg:grid-cols-2 [&>*]:min-w-0">
      <Card title="Campaigns running now">
        <Table
          caption="Campaigns running now"
          rows={running}
          rowKey={(c) => c.id}
          status={campaigns.status}
          empty="No campaign is sending now."
          columns={[
            {
              header: 'Campaign',
              cell: (c) => (
                <Link to={`/campaigns/${c.id}`} className="font-medium hover:underline">
                  {c.name}
                </Link>
              ),
            },
            { header: 'State', cell: (c) => c.state },
            {
              header: 'Progress',
              cell: (c) => {
                const target = sendable(c);
                const done = c.counts.sent + c.counts.failed;
                const p = target ? Math.min(100, Math.round((done / target) * 100)) : 0;
                return (
                  <div className="flex items-center gap-2">
                    <div
                      className="h-2 w-24 rounded bg-slate-100"
                      role="progressbar"
                      aria-label={`${c.name} progress`}
                      aria-valuenow={p}
                      aria-valuemin={0}
                      aria-valuemax={100}
                    >
                      <div className="h-2 rounded bg-brand-600" style={{ width: `${p}%` }} />
                    </div>
                    <span className="tabular-nums text-xs">
                      {count(done)} / {count(target)}
                    </span>
                  </div>
                );
              },
            },
          ]}
        />
      </Card>
      <Card title="Numbers’ health">
        <Table
          caption="Numbers’ health"
          rows={health}
          rowKey={(n) => n.number_id}
          empty="No number connected."
          columns={[
            { header: 'Number', cell: (n) => n.display_name },
            {
              header: 'Quality',
              cell: (n) =>
                n.quality_rating ? (
                  <Badge tone={QUALITY_TONE[n.quality_rating] ?? 'slate'}>{n.quality_rating}</Badge>
                ) : (
                  '—'
                ),
            },
            { header: 'Messaging tier', cell: (n) => n.messaging_limit_tier ?? '—' },
            { header: 'Limit used today', cell: (n) => <LimitUsed n={n} /> },
            { header: 'Status', cell: (n) => (n.status === 'active' ? 'Active' : `Inactive`) },
          ]}
        />
      </Card>
    </div>
  );
}

/** Reports → Overview: how are we doing this period against the previous one. */
export function ReportsHomePage() {
  const { range } = useReportRange();
  const overview = useReport('overview', range);
  const [showFailures, setShowFailures] = useState(false);
  if (!range) return null;
  if (overview.error) return <Alert>{errorMessage(overview.error)}</Alert>;
  const o = overview.data;
  if (!o) return <p role="status">Loading the overview…</p>;
  return (
    <div aria-busy={overview.isFetching}>
      <ReportBar note={o.note} csv={csvUrl('overview', range)} />
      <h2 className="sr-only">Key figures</h2>
      <p className="mb-2 text-sm text-slate-600">
        {shortDay(o.range.from)} – {shortDay(o.range.to)}, compared with {shortDay(o.previous.from)} –{' '}
        {shortDay(o.previous.to)}
      </p>
      <Kpis o={o} />
      {o.top_failures.length > 0 && (
        <div className="mb-6">
          <button
            type="button"
            className="text-sm font-medium text-brand-700"
            aria-expanded={showFailures}
            onClick={() => setShowFailures((s) => !s)}
          >
            {showFailures ? 'Hide' : 'Show'} failures by Meta error code
          </button>
          {showFailures && (
            <Table
              caption="Failures by Meta error code"
              look="inset"
              density="compact"
              rows={o.top_failures}
              rowKey={(f) => f.code}
              columns={[
                { header: 'Error code', cell: (f) => f.code },
                { header: 'Messages', align: 'right', cell: (f) => count(f.count) },
              ]}
            />
          )}
        </div>
      )}
      <div className="grid items-start gap-4 xl:grid-cols-2 [&>*]:min-w-0">
        <SeriesChart o={o} />
        <HourChart o={o} />
      </div>
      <NowPanels health={o.numbers_health} />
    </div>
  );
}
