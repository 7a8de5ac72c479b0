import type {
  AgentsReport,
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
  agents: AgentsReport;
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
        'quality_score',
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
          d.quality_score,
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
    case 'agents': {
      const r = report as AgentsReport;
      // One table: a row per agent and per team over the range (medians, p90), then per agent per day or week (averages).
      yield csvLine([
        'row',
        'day',
        'id',
        'name',
        'handled',
        'replies',
        'notes',
        'first_responses',
        'first_response_median_seconds',
        'first_response_p90_seconds',
        'first_response_average_seconds',
        'resolutions',
        'resolution_median_seconds',
        'resolution_p90_seconds',
        'resolution_average_seconds',
      ]);
      const totals = (
        row: string,
        id: string,
        name: string | null,
        a: AgentsReport['teams'][number] | AgentsReport['agents'][number],
      ) =>
        csvLine([
          row,
          null,
          id,
          name,
          a.handled,
          a.replies,
          a.notes,
          a.first_responses,
          a.first_response_median,
          a.first_response_p90,
          null,
          a.resolutions,
          a.resolution_median,
          a.resolution_p90,
          null,
        ]);
      for (const a of r.agents) yield totals('agent', a.user_id, a.name, a);
      for (const t of r.teams) yield totals('team', t.team_id, t.name, t);
      const names = new Map(r.agents.map((a) => [a.user_id, a.name]));
      for (const d of r.data)
        yield csvLine([
          r.group === 'week' ? 'agent_week' : 'agent_day',
          d.day,
          d.user_id,
          names.get(d.user_id) ?? null,
          d.handled,
          d.replies,
          d.notes,
          d.first_responses,
          null,
          null,
          d.first_response_average,
          d.resolutions,
          null,
          null,
          d.resolution_average,
        ]);
      return;
    }
  }
}
