import type { AgentsReport } from '@openwaba/contracts';
import { useSearchParams } from 'react-router';
import { errorMessage } from '../../api.ts';
import { Table } from '../../components/table.tsx';
import { Alert, Select } from '../../components/ui.tsx';
import { useTeams } from '../settings/queries.ts';
import { ChartCard, COLOURS, DayBars, ReportBar } from './charts.tsx';
import { count, duration } from './format.ts';
import { csvUrl, useReport } from './queries.ts';
import { periodStarts } from './range.ts';
import { useReportRange } from './use-report-range.ts';

const n = 'tabular-nums';
/** Durations ("1 min 7 s") and names stay on one line. */
const dur = 'tabular-nums whitespace-nowrap';
type Figures = AgentsReport['agents'][number] | AgentsReport['teams'][number];

/** The figures every row of the agents and teams tables shows. */
const figureColumns = [
  { header: 'Handled', align: 'right' as const, className: n, cell: (a: Figures) => count(a.handled) },
  { header: 'Replies', align: 'right' as const, className: n, cell: (a: Figures) => count(a.replies) },
  { header: 'Notes', align: 'right' as const, className: n, cell: (a: Figures) => count(a.notes) },
  {
    header: 'First response (median)',
    align: 'right' as const,
    className: dur,
    cell: (a: Figures) => duration(a.first_response_median),
  },
  {
    header: 'First response (p90)',
    align: 'right' as const,
    className: dur,
    cell: (a: Figures) => duration(a.first_response_p90),
  },
  { header: 'Resolved', align: 'right' as const, className: n, cell: (a: Figures) => count(a.resolutions) },
  {
    header: 'Resolution (median)',
    align: 'right' as const,
    className: dur,
    cell: (a: Figures) => duration(a.resolution_median),
  },
  {
    header: 'Resolution (p90)',
    align: 'right' as const,
    className: dur,
    cell: (a: Figures) => duration(a.resolution_p90),
  },
];

/**
 * Reports → Agents: per agent and per team (its members now), the conversations handled, replies,
 * notes, first response and resolution times; replies and conversations handled per day. The team
 * (`?team=`) is this tab's own filter, kept in the address beside the range.
 */
export function AgentsReportPage() {
  const { range } = useReportRange();
  const [params, setParams] = useSearchParams();
  const team = params.get('team') ?? '';
  const teams = useTeams();
  // A contact tag chosen on another tab does not divide agents' figures: left out of this request.
  const { tag_id: _tag, ...untagged } = range ?? { from: '', to: '' };
  const scoped = range ? { ...untagged, ...(team ? { team_id: team } : {}) } : null;
  const report = useReport('agents', scoped);
  if (!scoped) return null;
  const picker = (
    <span className="flex items-center gap-2 text-sm text-slate-700">
      <label htmlFor="report-team">Team</label>
      <Select
        id="report-team"
        value={team}
        data-testid="team-picker"
        onChange={(e) => {
          const next = new URLSearchParams(params);
          if (e.target.value) next.set('team', e.target.value);
          else next.delete('team');
          setParams(next);
        }}
      >
        <option value="">All agents</option>
        {(teams.data?.data ?? []).map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </Select>
    </span>
  );
  if (report.error)
    return (
      <>
        <div className="mb-4">{picker}</div>
        <Alert>{errorMessage(report.error)}</Alert>
      </>
    );
  const r = report.data;
  if (!r) return <p role="status">Loading the agents…</p>;
  const names = new Map(r.agents.map((a) => [a.user_id, a.name ?? 'Deleted user']));
  const byDay = new Map<string, { day: string; replies: number; handled: number; resolutions: number }>();
  for (const d of r.data) {
    const x = byDay.get(d.day) ?? { day: d.day, replies: 0, handled: 0, resolutions: 0 };
    x.replies += d.replies;
    x.handled += d.handled;
    x.resolutions += d.resolutions;
    byDay.set(d.day, x);
  }
  // Every day (or week, past 90 days) of the range on the chart and in its table, those without work as zeros.
  const days = periodStarts(r.range, r.group).map(
    (day) => byDay.get(day) ?? { day, replies: 0, handled: 0, resolutions: 0 },
  );
  const weekly = r.group === 'week';
  const period = weekly ? 'week' : 'day';
  // Per agent per day (or week): by day, then by name.
  const agentDays = [...r.data].sort(
    (a, b) =>
      a.day.localeCompare(b.day) || (names.get(a.user_id) ?? '').localeCompare(names.get(b.user_id) ?? ''),
  );
  return (
    <div aria-busy={report.isFetching} className="space-y-6">
      <ReportBar note={r.note} csv={csvUrl('agents', scoped)}>
        {picker}
      </ReportBar>
      <ChartCard
        title={`Conversations handled, replies and resolutions per ${period}`}
        testId="chart-agents"
        summary={`Conversations handled, agents’ replies and resolutions per ${period} from ${r.range.from} to ${r.range.to}; the table holds the figures.`}
        chart={
          <DayBars
            data={days}
            bars={[
              { key: 'handled', name: 'Handled', fill: COLOURS.read },
              { key: 'replies', name: 'Replies', fill: COLOURS.sent },
              { key: 'resolutions', name: 'Resolved', fill: COLOURS.replied },
            ]}
          />
        }
        table={
          <Table
            caption={`Conversations handled, replies and resolutions per ${period}`}
            rows={days}
            rowKey={(d) => d.day}
            empty="Nothing in this period."
            columns={[
              { header: weekly ? 'Week from' : 'Day', cell: (d) => d.day },
              { header: 'Handled', align: 'right', className: n, cell: (d) => count(d.handled) },
              { header: 'Replies', align: 'right', className: n, cell: (d) => count(d.replies) },
              { header: 'Resolved', align: 'right', className: n, cell: (d) => count(d.resolutions) },
            ]}
          />
        }
      />
      <section aria-labelledby="agents-heading">
        <h2 id="agents-heading" className="mb-2 text-base font-semibold text-slate-900">
          Agents
        </h2>
        <Table
          caption="Agents"
          look="card"
          testId="table-agents"
          rows={r.agents}
          rowKey={(a) => a.user_id}
          empty="No agent replied, wrote a note or resolved a conversation in this period."
          columns={[
            {
              header: 'Agent',
              cell: (a) => (
                <span>
                  <span className="whitespace-nowrap font-medium">{a.name ?? 'Deleted user'}</span>
                  {a.teams.length > 0 && (
                    <span className="block text-xs text-slate-500">{a.teams.join(', ')}</span>
                  )}
                </span>
              ),
            },
            ...figureColumns,
          ]}
        />
      </section>
      <section aria-labelledby="teams-heading">
        <h2 id="teams-heading" className="text-base font-semibold text-slate-900">
          Teams
        </h2>
        <p className="mb-2 text-sm text-slate-600">
          A team counts the work of its members now; an agent in two teams counts in both.
        </p>
        <Table
          caption="Teams (their members now)"
          look="card"
          testId="table-teams"
          rows={r.teams}
          rowKey={(t) => t.team_id}
          empty="No team yet (Settings → Teams)."
          columns={[
            { header: 'Team', cell: (t) => <span className="whitespace-nowrap font-medium">{t.name}</span> },
            { header: 'Members', align: 'right', className: n, cell: (t) => count(t.members) },
            ...figureColumns,
          ]}
        />
      </section>
      <section aria-labelledby="agent-days-heading">
        <h2 id="agent-days-heading" className="text-base font-semibold text-slate-900">
          Per agent per {period}
        </h2>
        <p className="mb-2 text-sm text-slate-600">Times are each {period}’s averages, not medians.</p>
        <Table
          caption={`Per agent per ${period} (averages)`}
          look="card"
          testId="table-agent-days"
          rows={agentDays}
          rowKey={(d) => `${d.day}/${d.user_id}`}
          empty="Nothing in this period."
          columns={[
            { header: weekly ? 'Week from' : 'Day', className: 'whitespace-nowrap', cell: (d) => d.day },
            {
              header: 'Agent',
              cell: (d) => <span className="whitespace-nowrap">{names.get(d.user_id) ?? '—'}</span>,
            },
            { header: 'Handled', align: 'right', className: n, cell: (d) => count(d.handled) },
            { header: 'Replies', align: 'right', className: n, cell: (d) => count(d.replies) },
            { header: 'Notes', align: 'right', className: n, cell: (d) => count(d.notes) },
            {
              header: 'First response (average)',
              align: 'right',
              className: dur,
              cell: (d) => duration(d.first_response_average),
            },
            { header: 'Resolved', align: 'right', className: n, cell: (d) => count(d.resolutions) },
            {
              header: 'Resolution (average)',
              align: 'right',
              className: dur,
              cell: (d) => duration(d.resolution_average),
            },
          ]}
        />
      </section>
    </div>
  );
}
