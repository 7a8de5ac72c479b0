import type { ReportRange } from './range.ts';

/** Query keys of the reports; `all` is refreshed (throttled) when messages and campaigns move. */
export const reportKeys = {
  all: ['reports'] as const,
  one: (kind: 'overview' | 'numbers' | 'templates' | 'spend' | 'campaigns', range: ReportRange) =>
    ['reports', kind, range.from, range.to, range.number_id ?? null, range.tag_id ?? null] as const,
};
