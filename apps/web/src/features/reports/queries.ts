import type {
  AgentsReport,
  CampaignsReport,
  NumbersReport,
  ReportOverview,
  SpendBreakdown,
  TemplatesReport,
} from '@openwaba/contracts';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { reportKeys } from './keys.ts';
import type { ReportRange } from './range.ts';

interface Reports {
  overview: ReportOverview;
  numbers: NumbersReport;
  templates: TemplatesReport;
  spend: SpendBreakdown;
  campaigns: CampaignsReport;
  agents: AgentsReport;
}
type Kind = keyof Reports;

/**
 * One report for a range. It refreshes when messages and campaigns move (realtime events, throttled:
 * see use-realtime.ts); the figures of the previous range stay on screen while a new one loads.
 */
export function useReport<K extends Kind>(kind: K, range: (ReportRange & { team_id?: string }) | null) {
  return useQuery<Reports[K]>({
    queryKey: range ? reportKeys.one(kind, range) : ['reports', kind, 'none'],
    queryFn: () => api.reports[kind](range as ReportRange) as Promise<Reports[K]>,
    enabled: range !== null,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export const csvUrl = (kind: Kind, range: ReportRange & { team_id?: string }) =>
  api.reports.csvUrl(kind, range);
