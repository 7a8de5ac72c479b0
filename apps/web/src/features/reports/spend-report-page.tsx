import type { SpendBreakdown } from '@openwaba/contracts';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { errorMessage } from '../../api.ts';
import { Table } from '../../components/table.tsx';
import { Alert, Card } from '../../components/ui.tsx';
import { ChartCard, COLOURS, ReportBar } from './charts.tsx';
import { count, money, shortDay } from './format.ts';
import { csvUrl, useReport } from './queries.ts';
import { addDays } from './range.ts';
import { useReportRange } from './use-report-range.ts';

const n = 'tabular-nums';
type Row = SpendBreakdown['by_category'][number] & { display_name?: string | null };

function SpendTable({
  title,
  rows,
  currency,
  keyHeader,
  label,
}: {
  title: string;
  rows: readonly Row[];
  currency: string | null;
  keyHeader: string;
  label?: (r: Row) => string;
}) {
  return (
    <Card title={title}>
      <Table
        caption={title}
        look="inset"
        density="compact"
        rows={rows}
        rowKey={(r) => r.key}
        empty="Nothing spent."
        columns={[
          { header: keyHeader, cell: (r) => label?.(r) ?? r.key },
          { header: 'Messages', align: 'right', className: n, cell: (r) => count(r.messages) },
          { header: 'Spend', align: 'right', className: n, cell: (r) => money(r.spend, currency) },
        ]}
      />
    </Card>
  );
}

/** Reports → Spend: the expected cost of the messages sent, by day, number, category and country. */
export function SpendReportPage() {
  const { range } = useReportRange();
  const report = useReport('spend', range);
  if (!range) return null;
  if (report.error) return <Alert>{errorMessage(report.error)}</Alert>;
  const r = report.data;
  if (!r) return <p role="status">Loading the spend…</p>;
  const c = r.currency;
  // Every day of the range on the chart, days without spend as zeros.
  const spent = new Map(r.by_day.map((d) => [d.key, d]));
  const days: Row[] = [];
  for (let day = r.range.from; day <= r.range.to; day = addDays(day, 1))
    days.push(spent.get(day) ?? { key: day, messages: 0, spend: 0 });
  return (
    <div aria-busy={report.isFetching}>
      <ReportBar csv={csvUrl('spend', range)} />
      <p className="mb-4 text-sm text-slate-700" data-testid="spend-total">
        <span className="text-2xl font-semibold text-slate-900">{money(r.total.spend, c)}</span> for{' '}
        {count(r.total.messages)} messages (expected cost from the rate card{c ? `, ${c}` : ''}).
      </p>
      <ChartCard
        title="Spend per day"
        testId="chart-spend"
        summary="Expected spend per day; the table holds the figures."
        chart={
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={days} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey="key" tickFormatter={shortDay} fontSize={12} />
              <YAxis fontSize={12} />
              <Tooltip labelFormatter={(d) => shortDay(String(d))} formatter={(v) => money(Number(v), c)} />
              <Bar isAnimationActive={false} dataKey="spend" name="Spend" fill={COLOURS.spend} />
            </BarChart>
          </ResponsiveContainer>
        }
        table={<SpendTable title="Spend per day" rows={r.by_day} currency={c} keyHeader="Day" />}
      />
      <div className="mt-6 grid gap-4 lg:grid-cols-3 [&>*]:min-w-0">
        <SpendTable
          title="By number"
          rows={r.by_number}
          currency={c}
          keyHeader="Number"
          label={(row) => row.display_name ?? 'Deleted number'}
        />
        <SpendTable title="By category" rows={r.by_category} currency={c} keyHeader="Category" />
        <SpendTable title="By country" rows={r.by_country} currency={c} keyHeader="Country" />
      </div>
    </div>
  );
}
