import { errorMessage } from '../../api.ts';
import { qualityName, tierLimit } from '../../components/meta-names.ts';
import { Table } from '../../components/table.tsx';
import { Alert } from '../../components/ui.tsx';
import { ChartCard, COLOURS, DayBars, ReportBar } from './charts.tsx';
import { count, money, when } from './format.ts';
import { csvUrl, useReport } from './queries.ts';
import { periodStarts } from './range.ts';
import { useReportRange } from './use-report-range.ts';

const n = 'tabular-nums';

const rate = (x: number | null) =>
  x === null ? '—' : `${x.toLocaleString('en', { maximumFractionDigits: 2 })} msg/s`;
const KIND = { quality: 'Quality', tier: 'Messaging tier' } as const;
/** A quality rating or messaging tier in words (a tier as its daily limit). */
const health = (kind: 'quality' | 'tier', v: string | null) =>
  kind === 'quality' ? qualityName(v) : tierLimit(v);

/**
 * Reports → Numbers: the periods' totals as a chart, each number over the range (with the throughput
 * it reached and its quality and tier history), and per number per day (per week past 90 days).
 */
export function NumbersReportPage() {
  const { range } = useReportRange();
  const report = useReport('numbers', range);
  if (!range) return null;
  if (report.error) return <Alert>{errorMessage(report.error)}</Alert>;
  const r = report.data;
  if (!r) return <p role="status">Loading the numbers…</p>;
  const byDay = new Map<string, { day: string; sent: number; inbound: number; failed: number }>();
  for (const row of r.data) {
    const d = byDay.get(row.day) ?? { day: row.day, sent: 0, inbound: 0, failed: 0 };
    d.sent += row.sent;
    d.inbound += row.inbound;
    d.failed += row.failed;
    byDay.set(row.day, d);
  }
  // Every day (or week) of the range on the chart, periods without messages as zeros.
  const days = periodStarts(r.range, r.group).map(
    (day) => byDay.get(day) ?? { day, sent: 0, inbound: 0, failed: 0 },
  );
  const weekly = r.group === 'week';
  const period = weekly ? 'week' : 'day';
  const changes = r.numbers.flatMap((x) =>
    x.changes.map((c) => ({ ...c, number: x.display_name ?? 'Deleted number', id: x.number_id })),
  );
  return (
    <div aria-busy={report.isFetching}>
      <ReportBar note={r.note} csv={csvUrl('numbers', range)} />
      <ChartCard
        title={`Sent and received per ${period}`}
        testId="chart-numbers"
        summary={`Messages sent, failed and received per ${period}, all numbers shown together; the table holds the figures.`}
        chart={
          <DayBars
            data={days}
            bars={[
              { key: 'sent', name: 'Sent', fill: COLOURS.sent },
              { key: 'failed', name: 'Failed', fill: COLOURS.failed },
              { key: 'inbound', name: 'Received', fill: COLOURS.inbound },
            ]}
          />
        }
        table={
          <Table
            caption={`Messages per ${period}`}
            look="inset"
            density="compact"
            rows={days}
            rowKey={(d) => d.day}
            columns={[
              { header: weekly ? 'Week from' : 'Day', cell: (d) => d.day },
              { header: 'Sent', align: 'right', className: n, cell: (d) => count(d.sent) },
              { header: 'Failed', align: 'right', className: n, cell: (d) => count(d.failed) },
              { header: 'Received', align: 'right', className: n, cell: (d) => count(d.inbound) },
            ]}
          />
        }
      />
      <h2 className="mt-6 mb-2 text-base font-semibold text-slate-900">Each number over the period</h2>
      <Table
        caption="Each number over the period"
        look="card"
        testId="table-number-totals"
        rows={r.numbers}
        rowKey={(x) => x.number_id}
        empty="No number."
        columns={[
          { header: 'Number', cell: (x) => x.display_name ?? 'Deleted number' },
          { header: 'Sent', align: 'right', className: n, cell: (x) => count(x.sent) },
          { header: 'Delivered', align: 'right', className: n, cell: (x) => count(x.delivered) },
          { header: 'Read', align: 'right', className: n, cell: (x) => count(x.read) },
          { header: 'Failed', align: 'right', className: n, cell: (x) => count(x.failed) },
          { header: 'Received', align: 'right', className: n, cell: (x) => count(x.inbound) },
          { header: 'Spend', align: 'right', className: n, cell: (x) => money(x.spend, null) },
          { header: 'Throughput reached', align: 'right', className: n, cell: (x) => rate(x.throughput) },
          {
            header: 'Quality, tier at start',
            cell: (x) =>
              `${health('quality', x.quality_at_start) ?? '—'}, ${health('tier', x.tier_at_start) ?? '—'}`,
          },
          { header: 'Changes', align: 'right', className: n, cell: (x) => count(x.changes.length) },
        ]}
      />
      <p className="mt-1 text-xs text-slate-600">
        Throughput reached: the most messages Meta accepted for the number in one minute, per second.
      </p>
      <h2 className="mt-6 mb-2 text-base font-semibold text-slate-900">Quality and tier history</h2>
      <Table
        caption="Quality and tier history"
        look="card"
        density="compact"
        testId="table-number-history"
        rows={changes}
        rowKey={(c) => `${c.id}/${c.kind}/${c.at}`}
        empty="No change of quality rating or messaging tier in this period."
        columns={[
          { header: 'When', cell: (c) => when(c.at) },
          { header: 'Number', cell: (c) => c.number },
          { header: 'What', cell: (c) => KIND[c.kind] },
          {
            header: 'Change',
            cell: (c) => `${health(c.kind, c.from) ?? 'first reading'} → ${health(c.kind, c.to)}`,
          },
        ]}
      />
      <h2 className="mt-6 mb-2 text-base font-semibold text-slate-900">Per number per {period}</h2>
      <Table
        caption={`Per number per ${period}`}
        look="card"
        testId="table-numbers"
        rows={r.data}
        rowKey={(row) => `${row.day}/${row.number_id}`}
        empty="No message in this period."
        columns={[
          { header: weekly ? 'Week from' : 'Day', cell: (row) => row.day },
          { header: 'Number', cell: (row) => row.display_name ?? 'Deleted number' },
          { header: 'Sent', align: 'right', className: n, cell: (row) => count(row.sent) },
          { header: 'Delivered', align: 'right', className: n, cell: (row) => count(row.delivered) },
          { header: 'Read', align: 'right', className: n, cell: (row) => count(row.read) },
          { header: 'Failed', align: 'right', className: n, cell: (row) => count(row.failed) },
          { header: 'Replied', align: 'right', className: n, cell: (row) => count(row.replied) },
          { header: 'Received', align: 'right', className: n, cell: (row) => count(row.inbound) },
          { header: 'Spend', align: 'right', className: n, cell: (row) => money(row.spend, null) },
          { header: 'Throughput', align: 'right', className: n, cell: (row) => rate(row.throughput) },
        ]}
      />
    </div>
  );
}
