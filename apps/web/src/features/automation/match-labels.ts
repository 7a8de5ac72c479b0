import type { TextMatch } from '@openwaba/contracts';

/** How a match kind reads in a sentence: "When a message contains “price”". */
export const MATCH_LABELS: Record<TextMatch['kind'], string> = {
  equals: 'equals',
  contains: 'contains',
  starts_with: 'starts with',
  regex: 'matches the regular expression',
};
/** The same, short, for a node on the canvas. */
export const MATCH_LABELS_SHORT: Record<TextMatch['kind'], string> = {
  equals: '=',
  contains: 'contains',
  starts_with: 'starts with',
  regex: 'matches',
};

export const matchSummary = (m: TextMatch) =>
  `${MATCH_LABELS[m.kind]} ${m.patterns.map((p) => `“${p}”`).join(' or ')}`;
