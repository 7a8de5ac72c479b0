import { errorMessage } from '../../api.ts';
import { qualityName } from '../../components/meta-names.ts';
import { Table } from '../../components/table.tsx';
import { Alert } from '../../components/ui.tsx';
import { ReportBar } from './charts.tsx';
import { count, money, pct, when } from './format.ts';
import { csvUrl, useReport } from './queries.ts';
import { useReportRange } from './use-report-range.ts';

const n = 'tabular-nums';

/** Reports → Templates: each template and language, most sent first, with its quality now and its changes. */
export function TemplatesReportPage() {
  const { range } = useReportRange();
  const report = useReport('templates', range);
  if (!range) return null;
  if (report.error) return <Alert>{errorMessage(report.error)}</Alert>;
  const r = report.data;
  if (!r) return <p role="status">Loading the templates…</p>;
  const rows = [...r.data].sort((a, b) => b.sent - a.sent);
  return (
    <div aria-busy={report.isFetching}>
      <ReportBar note={r.note} csv={csvUrl('templates', range)} />
      <Table
        caption="Templates by sends"
        look="card"
        testId="table-templates"
        rows={rows}
        rowKey={(t) => `${t.template}/${t.language}`}
        empty="No template was sent in this period."
        columns={[
          { header: 'Template', cell: (t) => <span className="font-medium">{t.template}</span> },
          { header: 'Language', cell: (t) => t.language },
          { header: 'Sent', align: 'right', className: n, cell: (t) => count(t.sent) },
          { header: 'Delivery rate', align: 'right', className: n, cell: (t) => pct(t.delivery_rate) },
          { header: 'Read rate', align: 'right', className: n, cell: (t) => pct(t.read_rate) },
          { header: 'Reply rate', align: 'right', className: n, cell: (t) => pct(t.reply_rate) },
          {
            header: 'Failed',
            align: 'right',
            className: n,
            cell: (t) => (
              <span title={t.failures.map((f) => `${f.code}: ${f.count}`).join('\n') || undefined}>
                {count(t.failed)} ({pct(t.failure_rate)})
              </span>
            ),
          },
          { header: 'Spend', align: 'right', className: n, cell: (t) => money(t.spend, null) },
          { header: 'Quality now', cell: (t) => qualityName(t.quality_score) ?? '—' },
        ]}
      />
      <h2 className="mt-6 mb-2 text-base font-semibold text-slate-900">Quality history</h2>
      <Table
        caption="Template quality history"
        look="card"
        density="compact"
        testId="table-template-quality"
        rows={r.quality_changes}
        rowKey={(c) => `${c.at}/${c.template}/${c.language}`}
        empty="Meta changed no template's quality rating in this period."
        columns={[
          { header: 'When', cell: (c) => when(c.at) },
          { header: 'Template', cell: (c) => <span className="font-medium">{c.template}</span> },
          { header: 'Language', cell: (c) => c.language },
          { header: 'Change', cell: (c) => `${qualityName(c.from) ?? 'not rated'} → ${qualityName(c.to)}` },
        ]}
      />
    </div>
  );
}
