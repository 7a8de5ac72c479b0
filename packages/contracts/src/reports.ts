import { z } from 'zod';
import { CampaignCounts, CampaignState } from './campaigns.ts';
import { IsoDate, Uuid } from './common.ts';

/** The longest range a report covers, in days. */
export const REPORT_MAX_DAYS = 400;

const Day = z.iso.date();

const queryShape = {
  from: Day,
  to: Day,
  number_id: Uuid.optional(),
  /** The agents report only: one team's members (now). Other reports refuse it. */
  team_id: Uuid.optional(),
  /** Messages of contacts that carried this tag when they were counted (not campaigns or agents). */
  tag_id: Uuid.optional(),
};
const rangeChecked = <T extends z.ZodType<{ from: string; to: string }>>(s: T) =>
  s
    .refine((q) => q.from <= q.to, { message: 'from must be on or before to', path: ['from'] })
    .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 + 1 <= REPORT_MAX_DAYS, {
      message: `the range is at most ${REPORT_MAX_DAYS} days`,
      path: ['to'],
    });
/**
 * The query every report takes: `from`..`to` (days in the organisation's timezone, inclusive), an
 * optional number and an optional contact tag (the messages of contacts that carried it when they
 * were first counted; not the campaigns report).
 */
export const ReportQuery = rangeChecked(z.strictObject(queryShape));
export type ReportQuery = z.infer<typeof ReportQuery>;

/** Ranges longer than this many days are reported per week by the numbers and agents reports unless `group=day`. */
export const DAILY_MAX_DAYS = 90;
export const ReportGroup = z.enum(['day', 'week']);
/**
 * The numbers and agents reports' query: `group` is `day` or `week` (weeks from Monday, cut to the
 * range); by default per day up to 90 days and per week beyond (the CSV: per day unless `group=week`).
 */
export const GroupedReportQuery = rangeChecked(
  z.strictObject({ ...queryShape, group: ReportGroup.optional() }),
);
export type GroupedReportQuery = z.infer<typeof GroupedReportQuery>;

/** The settling note shown beside delivery figures. */
export const SETTLING_NOTE =
  'Delivery statistics may take up to 24 hours to settle: Meta reports delivered and read statuses late.';

const Range = z.object({ from: Day, to: Day });

/** A figure for the period and for the previous one of the same length; `change` is relative (null when the previous was 0). */
export const Kpi = z.object({ current: z.number(), previous: z.number(), change: z.number().nullable() });

const Failure = z.object({ code: z.string(), count: z.number().int() });

export const ReportOverview = z.object({
  range: Range,
  previous: Range,
  timezone: z.string(),
  kpis: z.object({
    sent: Kpi,
    received: Kpi,
    delivery_rate: Kpi,
    read_rate: Kpi,
    reply_rate: Kpi,
    failed: Kpi,
    spend: Kpi,
    /** Contacts created in the period (any number). */
    new_contacts: Kpi,
    /** Opt-in and opt-out events of the consent ledger in the period (any number). */
    opt_ins: Kpi,
    opt_outs: Kpi,
    /**
     * Median first response time of agents in the period, in seconds (null when none; within 4.4 %:
     * read from histograms), against the previous period.
     */
    first_response_median: z.object({
      current: z.number().nullable(),
      previous: z.number().nullable(),
      change: z.number().nullable(),
    }),
  }),
  /** Conversations open now (of the number, when one is asked). */
  open_conversations: z.number().int(),
  /**
   * Each number now (the one asked, or all): quality rating, messaging tier, and its portfolio's
   * messaging limit — unique users Meta accepted a template to in the last 24 hours (`used`) of the
   * tier's `limit` (null: unlimited or not known yet), shared by the portfolio's numbers.
   */
  numbers_health: z.array(
    z.object({
      number_id: Uuid,
      display_name: z.string(),
      status: z.string(),
      quality_rating: z.string().nullable(),
      messaging_limit_tier: z.string().nullable(),
      limit: z.number().int().nullable(),
      used: z.number().int(),
    }),
  ),
  /** Failed messages of the period by Meta's error code, most first (10 at most). */
  top_failures: z.array(Failure),
  /** Every day of the period, days without messages as zeros. */
  series: z.array(
    z.object({
      day: Day,
      sent: z.number().int(),
      delivered: z.number().int(),
      read: z.number().int(),
      failed: z.number().int(),
      inbound: z.number().int(),
    }),
  ),
  /** Messages by hour of the day (0–23, organisation's timezone) over the period. */
  by_hour: z.array(
    z.object({ hour: z.number().int(), inbound: z.number().int(), outbound: z.number().int() }),
  ),
  currency: z.string().nullable(),
  note: z.string(),
});
export type ReportOverview = z.infer<typeof ReportOverview>;

const Counts = {
  sent: z.number().int(),
  delivered: z.number().int(),
  read: z.number().int(),
  failed: z.number().int(),
  replied: z.number().int(),
};

/** A change of a number's quality rating or messaging tier (`from` null: the first reading). */
export const NumberHealthChange = z.object({
  at: IsoDate,
  kind: z.enum(['quality', 'tier']),
  from: z.string().nullable(),
  to: z.string(),
});

export const NumbersReport = z.object({
  range: Range,
  /** `day`: a row per number per day; `week`: per number per week (Monday to Sunday, cut to the range). */
  group: ReportGroup,
  /** Each number over the whole range: its totals, the throughput it reached and its health history. */
  numbers: z.array(
    z.object({
      number_id: Uuid,
      /** Null when the number has been deleted since. */
      display_name: z.string().nullable(),
      ...Counts,
      inbound: z.number().int(),
      spend: z.number(),
      /** The highest throughput reached on a day of the range (msg/s), null when nothing was accepted. */
      throughput: z.number().nullable(),
      /** Quality rating and messaging tier in force when the range began (null: not known then). */
      quality_at_start: z.string().nullable(),
      tier_at_start: z.string().nullable(),
      /** Their changes during the range, oldest first. */
      changes: z.array(NumberHealthChange),
    }),
  ),
  /** Per number per day (or week: `day` is its first day in the range), periods with messages only. */
  data: z.array(
    z.object({
      day: Day,
      number_id: Uuid,
      display_name: z.string().nullable(),
      ...Counts,
      inbound: z.number().int(),
      spend: z.number(),
      /**
       * Throughput reached: the most messages Meta accepted for the number in one minute of the
       * period ÷ 60 (msg/s); null when none was accepted.
       */
      throughput: z.number().nullable(),
    }),
  ),
  note: z.string(),
});
export type NumbersReport = z.infer<typeof NumbersReport>;

export const TemplatesReport = z.object({
  range: Range,
  data: z.array(
    z.object({
      template: z.string(),
      language: z.string(),
      ...Counts,
      delivery_rate: z.number(),
      read_rate: z.number(),
      reply_rate: z.number(),
      failure_rate: z.number(),
      spend: z.number(),
      failures: z.array(Failure),
      /** Meta's quality rating of the template now (GREEN, YELLOW, RED, UNKNOWN); null: none known. */
      quality_score: z.string().nullable(),
    }),
  ),
  /**
   * The changes of templates' quality ratings in the range (Meta's quality notices), oldest first; with
   * `number_id`, those of its WhatsApp Business Account. A template's quality is its own, not a tag's.
   */
  quality_changes: z.array(
    z.object({
      at: IsoDate,
      template: z.string(),
      language: z.string(),
      from: z.string().nullable(),
      to: z.string(),
    }),
  ),
  note: z.string(),
});
export type TemplatesReport = z.infer<typeof TemplatesReport>;

const SpendRow = z.object({ key: z.string(), messages: z.number().int(), spend: z.number() });
export const SpendBreakdown = z.object({
  range: Range,
  currency: z.string().nullable(),
  total: z.object({ messages: z.number().int(), spend: z.number() }),
  by_number: z.array(SpendRow.extend({ display_name: z.string().nullable() })),
  /** Meta's pricing category (else the category it was priced as). */
  by_category: z.array(SpendRow),
  /** The contact's country (ISO 3166-1 alpha-2; `unknown` when not known). */
  by_country: z.array(SpendRow),
  by_day: z.array(SpendRow),
});
export type SpendBreakdown = z.infer<typeof SpendBreakdown>;

export const CampaignsReport = z.object({
  range: Range,
  /** Campaigns created in the range, newest first: their own counters (as their report shows them). */
  data: z.array(
    z.object({
      campaign_id: Uuid,
      name: z.string(),
      number_id: Uuid,
      state: CampaignState,
      templates: z.array(z.string()),
      created_at: IsoDate,
      started_at: IsoDate.nullable(),
      finished_at: IsoDate.nullable(),
      funnel: CampaignCounts,
      rates: z.object({ delivered: z.number(), read: z.number(), replied: z.number(), failed: z.number() }),
      failures: z.array(z.object({ code: z.string(), title: z.string(), count: z.number().int() })),
      /** The funnel of each template the campaign sent (an A/B or template split), in the campaign's order. */
      per_template: z.array(
        z.object({
          template: z.string(),
          sent: z.number().int(),
          delivered: z.number().int(),
          read: z.number().int(),
          failed: z.number().int(),
        }),
      ),
      spend: z.number(),
      /** Messages per second over the sending span. */
      average_rate: z.number().nullable(),
      duration_seconds: z.number().nullable(),
    }),
  ),
  currency: z.string().nullable(),
  note: z.string(),
});
export type CampaignsReport = z.infer<typeof CampaignsReport>;

/** The agents report's note on its medians and percentiles. */
export const AGENTS_NOTE =
  'Medians and 90th percentiles are read from histograms: each is within 4.4 % of the exact duration.';

/** Durations in seconds; null when there was none. */
const AgentFigures = {
  /** Conversations the agent replied in or resolved, once per conversation per day. */
  handled: z.number().int(),
  replies: z.number().int(),
  notes: z.number().int(),
  first_responses: z.number().int(),
  first_response_median: z.number().nullable(),
  first_response_p90: z.number().nullable(),
  /** Episodes ended by a resolution credited to the agent. */
  resolutions: z.number().int(),
  resolution_median: z.number().nullable(),
  resolution_p90: z.number().nullable(),
};

export const AgentsReport = z.object({
  range: Range,
  timezone: z.string(),
  /** Per agent over the range, most conversations handled first. */
  agents: z.array(
    z.object({
      user_id: Uuid,
      /** Null when the user has been deleted since. */
      name: z.string().nullable(),
      /** The teams the agent is in now. */
      teams: z.array(z.string()),
      ...AgentFigures,
    }),
  ),
  /** Per team (its members now) over the range; an agent in two teams counts in both. */
  teams: z.array(z.object({ team_id: Uuid, name: z.string(), members: z.number().int(), ...AgentFigures })),
  /** `day`: a row per agent per day; `week`: per agent per week (Monday to Sunday, cut to the range). */
  group: ReportGroup,
  /** Per agent per day or week (those with something counted); averages in seconds. */
  data: z.array(
    z.object({
      /** The day, or the week's first day in the range. */
      day: Day,
      user_id: Uuid,
      handled: z.number().int(),
      replies: z.number().int(),
      notes: z.number().int(),
      first_responses: z.number().int(),
      first_response_average: z.number().nullable(),
      resolutions: z.number().int(),
      resolution_average: z.number().nullable(),
    }),
  ),
  note: z.string(),
});
export type AgentsReport = z.infer<typeof AgentsReport>;
