import type {
  CampaignsReport,
  NumbersReport,
  ReportOverview,
  SpendBreakdown,
  TemplatesReport,
} from '@openwaba/contracts';
import { csvLine } from '../lib/csv-safe.ts';

type Reports = {
  overview: ReportOverview;
  numbers: NumbersReport;
  templates: TemplatesReport;
  spend: SpendBreakdown;
  campaigns: CampaignsReport;
};

/** A report as CSV lines (every cell neutralised: lib/csv-safe.ts). */
export function* reportCsv<K extends keyof Reports>(kind: K, report: Reports[K]): Generator<string> {
  switch (kind) {
    case 'overview': {
      const r = report as ReportOverview;
      yield csvLine(['day', 'sent', 'delivered', 'read', 'failed', 'inbound']);
      for (const s of r.series) yield csvLine([s.day, s.sent, s.delivered, s.read, s.failed, s.inbound]);
      return;
    }
    case 'numbers': {
      const r = report as NumbersReport;
      yield csvLine([
        r.group,
        'number_id',
        'number',
        'sent',
        'delivered',
        'read',
        'failed',
        'replied',
        'inbound',
        'spend',
        'throughput_msg_s',
      ]);
      for (const d of r.data)
        yield csvLine([
          d.day,
          d.number_id,
          d.display_name,
          d.sent,
          d.delivered,
          d.read,
          d.failed,
          d.replied,
          d.inbound,
          d.spend,
          d.throughput,
        ]);
      return;
    }
    case 'templates': {
      const r = report as TemplatesReport;
      yield csvLine([
        'template',
        'language',
        'sent',
        'delivered',
        'read',
        'failed',
        'replied',
        'delivery_rate',
        'read_rate',
        'reply_rate',
        'failure_rate',
        'spend',
        'failures',
      ]);
      for (const d of r.data)
        yield csvLine([
          d.template,
          d.language,
          d.sent,
          d.delivered,
          d.read,
          d.failed,
          d.replied,
          d.delivery_rate,
          d.read_rate,
          d.reply_rate,
          d.failure_rate,
          d.spend,
          d.failures.map((f) => `${f.code}:${f.count}`).join(' '),
        ]);
      return;
    }
    case 'spend': {
      const r = report as SpendBreakdown;
      yield csvLine(['group', 'key', 'name', 'messages', 'spend', 'currency']);
      for (const d of r.by_number)
        yield csvLine(['number', d.key, d.display_name, d.messages, d.spend, r.currency]);
      for (const d of r.by_category)
        yield csvLine(['category', d.key, null, d.messages, d.spend, r.currency]);
      for (const d of r.by_country) yield csvLine(['country', d.key, null, d.messages, d.spend, r.currency]);
      for (const d of r.by_day) yield csvLine(['day', d.key, null, d.messages, d.spend, r.currency]);
      return;
    }
    case 'campaigns': {
      const r = report as CampaignsReport;
      yield csvLine([
        'campaign_id',
        'name',
        'state',
        'templates',
        'created_at',
        'total',
        'sent',
        'delivered',
        'read',
        'replied',
        'failed',
        'delivery_rate',
        'read_rate',
        'reply_rate',
        'failure_rate',
        'top_failure',
        'spend',
        'average_rate',
        'duration_seconds',
      ]);
      for (const d of r.data)
        yield csvLine([
          d.campaign_id,
          d.name,
          d.state,
          d.templates.join(' | '),
          d.created_at,
          d.funnel.total,
          d.funnel.sent,
          d.funnel.delivered,
          d.funnel.read,
          d.funnel.replied,
          d.funnel.failed,
          d.rates.delivered,
          d.rates.read,
          d.rates.replied,
          d.rates.failed,
          d.failures[0] ? `${d.failures[0].code} ${d.failures[0].title}` : null,
          d.spend,
          d.average_rate,
          d.duration_seconds,
        ]);
      return;
    }
  }
}
