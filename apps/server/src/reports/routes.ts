import { Readable } from 'node:stream';
import {
  AgentsReport,
  CampaignsReport,
  GroupedReportQuery,
  NumbersReport,
  ReportOverview,
  ReportQuery,
  SpendBreakdown,
  TemplatesReport,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authOf } from '../lib/http.ts';
import { reportCsv } from './csv.ts';
import type { ReportService } from './service.ts';

const tags = ['reports'];
const RANGE =
  'from..to are days in the organisation’s timezone (inclusive, at most 400 days); number_id narrows to one number, tag_id to the messages of contacts that carried the tag when they were counted (404 if either is not one of yours; campaigns and agents refuse tag_id); team_id (the agents report only, 400 elsewhere) to one team’s members';

export const reportRoutes =
  (deps: { reports: ReportService }): FastifyPluginAsyncZod =>
  async (app) => {
    const { reports } = deps;
    const kinds = [
      {
        kind: 'overview',
        schema: ReportOverview,
        summary:
          'KPIs for the period against the previous one of the same length (sent, received, delivery, read and reply rates, failed, spend), the top failure codes, sent/delivered/read/failed/inbound per day and messages by hour of the day',
      },
      {
        kind: 'numbers',
        schema: NumbersReport,
        query: GroupedReportQuery,
        summary:
          'Per number per day (per week past 90 days unless group=day): sent, delivered, read, failed, replied, inbound, spend and the throughput reached; each number’s totals with its quality rating and messaging tier history',
      },
      {
        kind: 'templates',
        schema: TemplatesReport,
        summary:
          'Per template and language: sends, delivery/read/reply/failure rates, failures by Meta code and spend',
      },
      {
        kind: 'spend',
        schema: SpendBreakdown,
        summary:
          "Spend of messages Meta accepted (expected cost; 0 when Meta said not billable) by number, category, the contact's country and day",
      },
      {
        kind: 'campaigns',
        schema: CampaignsReport,
        summary:
          'The campaigns created in the range side by side: funnel, rates, failures by Meta reason, spend, sending speed and duration (their own counters)',
      },
      {
        kind: 'agents',
        schema: AgentsReport,
        query: GroupedReportQuery,
        summary:
          'Agents and teams: conversations handled, replies, notes, first response and resolution times (median, p90: within 4.4 %) per agent, per team (its members now) and per agent per day (per week past 90 days unless group=day)',
      },
    ] as const;
    for (const k of kinds) {
      app.get(
        `/api/v1/reports/${k.kind}`,
        {
          config: { access: 'reports.read' },
          schema: {
            tags,
            summary: `${k.summary}. ${RANGE}.`,
            querystring: 'query' in k ? k.query : ReportQuery,
            response: { 200: k.schema },
          },
        },
        async (req) => reports[k.kind](authOf(req), req.query) as never,
      );
      app.get(
        `/api/v1/reports/${k.kind}.csv`,
        {
          config: { access: 'reports.read' },
          schema: {
            tags,
            summary: `The ${k.kind} report as CSV (formula-safe; same query${'query' in k ? ', per day unless group=week' : ''})`,
            querystring: 'query' in k ? k.query : ReportQuery,
            produces: ['text/csv'],
          },
        },
        async (req, reply) => {
          // The numbers and agents CSVs keep every day unless weeks are asked for.
          const query = 'query' in k ? { group: 'day' as const, ...req.query } : req.query;
          const report = await reports[k.kind](authOf(req), query);
          reply
            .type('text/csv; charset=utf-8')
            .header(
              'content-disposition',
              `attachment; filename="report-${k.kind}-${req.query.from}-${req.query.to}.csv"`,
            );
          return reply.send(Readable.from(reportCsv(k.kind, report as never)));
        },
      );
    }
  };
