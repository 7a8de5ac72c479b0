import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { errorMessage } from '../../api.ts';
import { Table } from '../../components/table.tsx';
import { Alert } from '../../components/ui.tsx';
import { ChartCard, COLOURS, ReportBar } from './charts.tsx';
import { count, money, shortDay } from './format.ts';
import { csvUrl, useReport } from './queries.ts';
import { addDays } from './range.ts';
import { useReportRange } from './use-report-range.ts';

const n = 'tabular-nums';

/** Reports → Numbers: per number per day, and the days' totals as a chart. */
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
  // Every day of the range on the chart, days without messages as zeros.
  const days: { day: string; sent: number; inbound: number; failed: number }[] = [];
  for (let day = r.range.from; day <= r.range.to; day = addDays(day, 1))
    days.push(byDay.get(day) ?? { day, sent: 0, inbound: 0, failed: 0 });
  return (
    <div aria-busy={report.isFetching}>
      <ReportBar note={r.note} csv={csvUrl('numbers', range)} />
      <ChartCard
        title="Sent and received per day"
        testId="chart-numbers"
        summary="Messages sent, failed and received per day, all numbers shown together; the table holds the figures."
        chart={
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={days} margin={{ top: 5, right: 10, left: 0, bottom: 5 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey="day" tickFormatter={shortDay} fontSize={12} />
              <YAxis allowDecimals={false} fontSize={12} />
              <Tooltip labelFormatter={(d) => shortDay(String(d))} />
              <Legend />
              <Bar isAnimationActive={false} dataKey="sent" name="Sent" fill={COLOURS.sent} />
              <Bar isAnimationActive={false} dataKey="failed" name="Failed" fill={COLOURS.failed} />
              <Bar isAnimationActive={false} dataKey="inbound" name="Received" fill={COLOURS.inbound} />
            </BarChart>
          </ResponsiveContainer>
        }
        table={
          <Table
            caption="Messages per day"
            look="inset"
            density="compact"
            rows={days}
            rowKey={(d) => d.day}
            columns={[
              { header: 'Day', cell: (d) => d.day },
              { header: 'Sent', align: 'right', className: n, cell: (d) => count(d.sent) },
              { header: 'Failed', align: 'right', className: n, cell: (d) => count(d.failed) },
              { header: 'Received', align: 'right', className: n, cell: (d) => count(d.inbound) },
            ]}
          />
        }
      />
      <h2 className="mt-6 mb-2 text-base font-semibold text-slate-900">Per number per day</h2>
      <Table
        caption="Per number per day"
        look="card"
        testId="table-numbers"
        rows={r.data}
        rowKey={(row) => `${row.day}/${row.number_id}`}
        empty="No message in this period."
        columns={[
          { header: 'Day', cell: (row) => row.day },
          { header: 'Number', cell: (row) => row.display_name ?? 'Deleted number' },
          { header: 'Sent', align: 'right', className: n, cell: (row) => count(row.sent) },
          { header: 'Delivered', align: 'right', className: n, cell: (row) => count(row.delivered) },
          { header: 'Read', align: 'right', className: n, cell: (row) => count(row.read) },
          { header: 'Failed', align: 'right', className: n, cell: (row) => count(row.failed) },
          { header: 'Replied', align: 'right', className: n, cell: (row) => count(row.replied) },
          { header: 'Received', align: 'right', className: n, cell: (row) => count(row.inbound) },
          { header: 'Spend', align: 'right', className: n, cell: (row) => money(row.spend, null) },
        ]}
      />
    </div>
  );
}
