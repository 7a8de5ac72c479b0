import type { ReportRange } from './range.ts';

/** Query keys of the reports; `all` is refreshed (throttled) when messages and campaigns move. */
export const reportKeys = {
  all: ['reports'] as const,
  one: (
    kind: 'overview' | 'numbers' | 'templates' | 'spend' | 'campaigns' | 'agents',
    range: ReportRange & { team_id?: string },
  ) =>
    [
      'reports',
      kind,
      range.from,
      range.to,
      range.number_id ?? null,
      range.tag_id ?? null,
      range.team_id ?? null,
    ] as const,
};
