import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { errorMessage } from '../../api.ts';
import { FilterSelect } from '../../components/filters.tsx';
import { RowLink, Table } from '../../components/table.tsx';
import { Alert } from '../../components/ui.tsx';
import { ChartCard, COLOURS, ReportBar } from './charts.tsx';
import { count, money, pct, seconds } from './format.ts';
import { csvUrl, useReport } from './queries.ts';
import { useReportRange } from './use-report-range.ts';

const n = 'tabular-nums';

/** Reports → Campaigns: the campaigns created in the range side by side, and one campaign's funnel. */
export function CampaignsReportPage() {
  // The tag chosen on another tab stays in the address but does not apply here.
  const { range: chosenRange } = useReportRange();
  const { tag_id: _tag, ...rest } = chosenRange ?? { from: '', to: '' };
  const range = chosenRange ? rest : null;
  const report = useReport('campaigns', range);
  const [chosen, setChosen] = useState('');
  if (!range) return null;
  if (report.error) return <Alert>{errorMessage(report.error)}</Alert>;
  const r = report.data;
  if (!r) return <p role="status">Loading the campaigns…</p>;
  const campaign = r.data.find((c) => c.campaign_id === chosen) ?? r.data[0];
  const funnel = campaign
    ? [
        { step: 'Sent', value: campaign.funnel.sent, fill: COLOURS.sent },
        { step: 'Delivered', value: campaign.funnel.delivered, fill: COLOURS.delivered },
        { step: 'Read', value: campaign.funnel.read, fill: COLOURS.read },
        { step: 'Replied', value: campaign.funnel.replied, fill: COLOURS.replied },
      ]
    : [];
  // An A/B or template split: the funnel of each template side by side (grouped bars per step).
  const split = campaign && campaign.per_template.length > 1 ? campaign.per_template : [];
  const STEPS = [
    ['sent', 'Sent'],
    ['delivered', 'Delivered'],
    ['read', 'Read'],
    ['failed', 'Failed'],
  ] as const;
  const splitData = STEPS.map(([k, step]) => ({
    step,
    ...Object.fromEntries(split.map((t, i) => [`t${i}`, t[k]])),
  }));
  const SPLIT_COLOURS = [COLOURS.sent, COLOURS.read, COLOURS.replied, COLOURS.delivered, COLOURS.inbound];
  return (
    <div aria-busy={report.isFetching}>
      <ReportBar note={r.note} csv={csvUrl('campaigns', range)} />
      <Table
        caption="Campaigns compared"
        look="card"
        testId="table-campaigns"
        rows={r.data}
        rowKey={(c) => c.campaign_id}
        empty="No campaign was created in this period."
        columns={[
          { header: 'Campaign', cell: (c) => <RowLink to={`/campaigns/${c.campaign_id}`}>{c.name}</RowLink> },
          { header: 'State', cell: (c) => c.state },
          { header: 'Sent', align: 'right', className: n, cell: (c) => count(c.funnel.sent) },
          { header: 'Delivery rate', align: 'right', className: n, cell: (c) => pct(c.rates.delivered) },
          { header: 'Read rate', align: 'right', className: n, cell: (c) => pct(c.rates.read) },
          { header: 'Replies', align: 'right', className: n, cell: (c) => count(c.funnel.replied) },
          { header: 'Reply rate', align: 'right', className: n, cell: (c) => pct(c.rates.replied) },
          {
            header: 'Failed',
            align: 'right',
            className: n,
            cell: (c) => (
              <span title={c.failures.map((f) => `${f.code} ${f.title}: ${f.count}`).join('\n') || undefined}>
                {count(c.funnel.failed)}
                {c.failures[0] && <span className="block text-xs text-slate-500">{c.failures[0].title}</span>}
              </span>
            ),
          },
          { header: 'Cost', align: 'right', className: n, cell: (c) => money(c.spend, r.currency) },
          {
            header: 'Speed',
            align: 'right',
            className: n,
            from: 'md',
            cell: (c) => (c.average_rate === null ? '—' : `${c.average_rate.toFixed(1)} msg/s`),
          },
          {
            header: 'Duration',
            align: 'right',
            className: n,
            from: 'md',
            cell: (c) => seconds(c.duration_seconds),
          },
        ]}
      />
      {campaign && (
        <div className="mt-6">
          <div className="mb-3 max-w-sm">
            <FilterSelect
              label="Funnel of"
              value={campaign.campaign_id}
              onChange={setChosen}
              options={r.data.map((c) => [c.campaign_id, c.name] as const)}
            />
          </div>
          <ChartCard
            title={`Funnel: ${campaign.name}`}
            testId="chart-funnel"
            summary={`Funnel of ${campaign.name}: ${funnel.map((f) => `${f.step} ${f.value}`).join(', ')}.`}
            chart={
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={funnel} layout="vertical" margin={{ top: 5, right: 40, left: 10, bottom: 5 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis type="number" allowDecimals={false} fontSize={12} />
                  <YAxis type="category" dataKey="step" fontSize={12} width={80} />
                  <Tooltip />
                  <Bar
                    isAnimationActive={false}
                    dataKey="value"
                    name="Messages"
                    label={{ position: 'right', fontSize: 12 }}
                  >
                    {funnel.map((f) => (
                      <Cell key={f.step} fill={f.fill} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            }
            table={
              <Table
                caption={`Funnel of ${campaign.name}`}
                look="inset"
                density="compact"
                rows={funnel}
                rowKey={(f) => f.step}
                columns={[
                  { header: 'Step', cell: (f) => f.step },
                  { header: 'Messages', align: 'right', className: n, cell: (f) => count(f.value) },
                  {
                    header: 'Of sent',
                    align: 'right',
                    className: n,
                    cell: (f) => (campaign.funnel.sent ? pct(f.value / campaign.funnel.sent) : '—'),
                  },
                ]}
              />
            }
          />
          {split.length > 1 && (
            <div className="mt-4">
              <ChartCard
                title="Templates side by side"
                testId="chart-template-split"
                summary={`Funnel of each template of ${campaign.name}: ${split
                  .map(
                    (t) =>
                      `${t.template}: sent ${t.sent}, delivered ${t.delivered}, read ${t.read}, failed ${t.failed}`,
                  )
                  .join('; ')}.`}
                chart={
                  <ResponsiveContainer width="100%" height="100%">
                    <BarChart data={splitData} margin={{ top: 5, right: 10, left: 0, bottom: 5 }}>
                      <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                      <XAxis dataKey="step" fontSize={12} />
                      <YAxis allowDecimals={false} fontSize={12} />
                      <Tooltip />
                      <Legend />
                      {split.map((t, i) => (
                        <Bar
                          key={t.template}
                          isAnimationActive={false}
                          dataKey={`t${i}`}
                          name={t.template}
                          fill={SPLIT_COLOURS[i % SPLIT_COLOURS.length]}
                        />
                      ))}
                    </BarChart>
                  </ResponsiveContainer>
                }
                table={
                  <Table
                    caption={`Templates of ${campaign.name}`}
                    look="inset"
                    density="compact"
                    rows={split}
                    rowKey={(t) => t.template}
                    columns={[
                      { header: 'Template', cell: (t) => t.template },
                      { header: 'Sent', align: 'right', className: n, cell: (t) => count(t.sent) },
                      { header: 'Delivered', align: 'right', className: n, cell: (t) => count(t.delivered) },
                      { header: 'Read', align: 'right', className: n, cell: (t) => count(t.read) },
                      { header: 'Failed', align: 'right', className: n, cell: (t) => count(t.failed) },
                      {
                        header: 'Read rate',
                        align: 'right',
                        className: n,
                        cell: (t) => (t.sent ? pct(t.read / t.sent) : '—'),
                      },
                    ]}
                  />
                }
              />
            </div>
          )}
        </div>
      )}
    </div>
  );
}
