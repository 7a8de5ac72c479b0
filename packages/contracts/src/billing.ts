import { z } from 'zod';
import { Uuid } from './common.ts';

/**
 * Pricing (issue 21 §2): Meta's dated rate card per market and category, a cost on every outbound
 * message, spend caps and spend reports.
 */

/** The categories a rate card prices (Meta's, lower case; `service` is a free-form message). */
export const RATE_CATEGORIES = [
  'marketing',
  'utility',
  'authentication',
  'authentication_international',
  'service',
] as const;
export const RateCategory = z.enum(RATE_CATEGORIES);
export type RateCategory = z.infer<typeof RateCategory>;

const Day = z.iso.date();
/** A market: an ISO 3166-1 alpha-2 country, or `*` for every country the card does not list. */
export const Market = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^([A-Z]{2}|\*)$/, 'must be a two-letter country code (ISO 3166-1) or * for every other');
export const Currency = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, 'must be a three-letter currency code');

/** One line of a rate card as imported (CSV `effective_from,market,category,rate,currency`). */
export const RateCardLine = z.strictObject({
  effective_from: Day,
  market: Market,
  category: z.string().trim().toLowerCase().pipe(RateCategory),
  rate: z.coerce
    .number({ message: 'must be a number' })
    .refine((n) => Number.isFinite(n), 'must be a number')
    .min(0, 'must be 0 or more')
    .max(100, 'must be under 100 per message'),
  currency: Currency,
});
export type RateCardLine = z.infer<typeof RateCardLine>;

export const RateCardRow = z.object({
  effective_from: z.string(),
  market: z.string(),
  category: RateCategory,
  rate: z.number(),
  currency: z.string(),
  source: z.string().nullable(),
});
export type RateCardRow = z.infer<typeof RateCardRow>;

/** The card in force at `at`: for each market and category, the latest rate effective then. */
export const RateCard = z.object({
  at: z.string(),
  currency: z.string().nullable(),
  /** Effective dates on file, newest first. */
  effective_dates: z.array(z.string()),
  rates: z.array(RateCardRow),
});
export type RateCard = z.infer<typeof RateCard>;
export const RateCardQuery = z.strictObject({
  /** A day (YYYY-MM-DD): the card in force then; today when absent. */
  at: Day.optional(),
});

/** A CSV rate card; lines starting with # are comments (the source and its date). */
export const ImportRatesBody = z.strictObject({
  csv: z.string().min(1, 'is empty').max(2_000_000, 'is over 2 MB'),
  /** Where the rates come from (a URL), kept with each row. */
  source: z.string().trim().max(500).optional(),
});
export const ImportRatesResult = z.object({
  imported: z.number().int(),
  effective_dates: z.array(z.string()),
  markets: z.number().int(),
});
export type ImportRatesResult = z.infer<typeof ImportRatesResult>;

/** The organisation's caps; null: no cap. */
export const BillingCaps = z.object({
  daily_message_cap: z.number().int().nullable(),
  monthly_spend_cap: z.number().nullable(),
  currency: z.string(),
});
export type BillingCaps = z.infer<typeof BillingCaps>;
export const UpdateBillingCapsBody = z.strictObject({
  /** Outbound messages per day (UTC) across the organisation's numbers. */
  daily_message_cap: z.number().int().min(1).max(100_000_000).nullable().optional(),
  /** Expected spend per calendar month (UTC), in the rate card's currency. */
  monthly_spend_cap: z.number().min(0).max(100_000_000).nullable().optional(),
});
export const BillingOverview = z.object({
  caps: BillingCaps,
  month: z.object({ from: z.string(), spend: z.number(), messages: z.number().int() }),
  today: z.object({ from: z.string(), messages: z.number().int() }),
});
export type BillingOverview = z.infer<typeof BillingOverview>;

export const SPEND_GROUPS = ['number', 'category', 'day'] as const;
export const SpendQuery = z
  .strictObject({
    from: Day,
    to: Day,
    group_by: z.enum(SPEND_GROUPS).default('day'),
    number_id: Uuid.optional(),
  })
  .refine((q) => q.from <= q.to, { message: 'from must be on or before to', path: ['from'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, {
    message: 'the range is at most 366 days',
    path: ['to'],
  });
export const SpendRow = z.object({
  /** The number id, the category or the day (YYYY-MM-DD). */
  key: z.string(),
  messages: z.number().int(),
  /** Messages Meta reported as billable (status `pricing.billable`). */
  billable: z.number().int(),
  /** Expected spend: each message's cost when queued, 0 where Meta reported it not billable. */
  spend: z.number(),
});
export const SpendReport = z.object({
  from: z.string(),
  to: z.string(),
  group_by: z.enum(SPEND_GROUPS),
  currency: z.string(),
  total: z.number(),
  rows: z.array(SpendRow),
});
export type SpendReport = z.infer<typeof SpendReport>;

export const RATE_CSV_COLUMNS = ['effective_from', 'market', 'category', 'rate', 'currency'] as const;

/** A rate card file read: its lines, or every problem with the line it is on (1-based). */
export type ParsedRateCard =
  | { ok: true; lines: RateCardLine[]; source: string | null }
  | { ok: false; errors: { line: number; message: string }[] };

/**
 * Reads a rate card CSV: a header naming the columns `effective_from,market,category,rate,currency`
 * (any order), then one rate a line. Blank lines and lines starting with `#` are skipped; a
 * `# source: <url>` comment is kept as the rows' source. One currency a file, and one rate per
 * market, category and day. The CLI checks a file with this before sending it; the server again.
 */
export function parseRateCard(csv: string): ParsedRateCard {
  const errors: { line: number; message: string }[] = [];
  const lines: RateCardLine[] = [];
  let header: string[] | null = null;
  let source: string | null = null;
  const seen = new Map<string, number>();
  const rows = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < rows.length && errors.length < 50; i++) {
    const text = rows[i]!.trim();
    const n = i + 1;
    if (!text) continue;
    if (text.startsWith('#')) {
      const m = /^#\s*source:\s*(\S.*)$/i.exec(text);
      if (m && !source) source = m[1]!.trim().slice(0, 500);
      continue;
    }
    const cells = text.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (!header) {
      header = cells.map((c) => c.toLowerCase());
      const missing = RATE_CSV_COLUMNS.filter((c) => !header!.includes(c));
      if (missing.length) {
        return {
          ok: false,
          errors: [
            {
              line: n,
              message: `the header lacks ${missing.join(', ')} (expected ${RATE_CSV_COLUMNS.join(',')})`,
            },
          ],
        };
      }
      continue;
    }
    if (cells.length !== header.length) {
      errors.push({ line: n, message: `has ${cells.length} cells, the header ${header.length}` });
      continue;
    }
    const record = Object.fromEntries(
      RATE_CSV_COLUMNS.map((c) => [
        c,
        cells[header!.indexOf(c)] === '' ? undefined : cells[header!.indexOf(c)],
      ]),
    );
    const parsed = RateCardLine.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        errors.push({ line: n, message: `${issue.path.join('.') || 'line'}: ${issue.message}` });
      }
      continue;
    }
    const key = `${parsed.data.market} ${parsed.data.category} ${parsed.data.effective_from}`;
    const first = seen.get(key);
    if (first) {
      errors.push({ line: n, message: `repeats line ${first} (${key.replaceAll(' ', ', ')})` });
      continue;
    }
    seen.set(key, n);
    lines.push(parsed.data);
  }
  if (!header) errors.push({ line: 1, message: `no header (expected ${RATE_CSV_COLUMNS.join(',')})` });
  else if (!lines.length && !errors.length) errors.push({ line: rows.length, message: 'no rates' });
  const currencies = [...new Set(lines.map((l) => l.currency))];
  if (!errors.length && currencies.length > 1) {
    errors.push({ line: 0, message: `one currency a file: found ${currencies.join(', ')}` });
  }
  return errors.length ? { ok: false, errors } : { ok: true, lines, source };
}
