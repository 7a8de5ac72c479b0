import type { Campaign } from '@openwaba/contracts';
import { useQuery } from '@tanstack/react-query';
import { api, errorMessage } from '../../api.ts';
import { type Column, Table } from '../../components/table.tsx';
import { Alert, Card } from '../../components/ui.tsx';
import { campaignKeys } from './keys.ts';
import { duration, n, pct, pollEvery } from './queries.ts';

const rate = (v: number) => `${Math.round(v * 1000) / 10}%`;

/** The funnel, rates, failures by Meta's code and counts per template. */
export function Report({ campaign: c }: { campaign: Campaign }) {
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
