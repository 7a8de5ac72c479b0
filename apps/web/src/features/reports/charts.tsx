import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DownloadLink } from '../../components/ui.tsx';
import { shortDay } from './format.ts';

/**
 * A chart with its title and, one click away, the table it draws ("Show as table"). The chart is an
 * image to screen readers (its `summary`); the table carries the figures.
 */
export function ChartCard({
  title,
  summary,
  chart,
  table,
  testId,
}: {
  title: string;
  summary: string;
  chart: ReactNode;
  table: ReactNode;
  testId?: string;
}) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid={testId}>
      <h2 className="text-base font-semibold text-slate-900">{title}</h2>
      <div role="img" aria-label={summary} className="mt-3 h-64 w-full">
        {chart}
      </div>
      <details className="mt-3">
        <summary className="cursor-pointer text-sm font-medium text-brand-700">Show as table</summary>
        <div className="mt-2">{table}</div>
      </details>
    </section>
  );
}

/** The settling note and the CSV of the report, above its figures. */
export function ReportBar({ note, csv, children }: { note?: string; csv: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
      <p className="text-sm text-slate-600" data-testid="settling-note">
        {note}
      </p>
      <div className="flex items-center gap-2">
        {children}
        <DownloadLink href={csv}>Download CSV</DownloadLink>
      </div>
    </div>
  );
}

/** Chart colours: distinct in hue and lightness (readable in greyscale too). */
export const COLOURS = {
  sent: '#1e40af',
  delivered: '#0891b2',
  read: '#16a34a',
  failed: '#dc2626',
  replied: '#a16207',
  inbound: '#7c3aed',
  outbound: '#1e40af',
  spend: '#0f766e',
} as const;

/** Bars per day (`day` of each row, drawn short), one series per entry of `bars`, not animated. */
export function DayBars<T extends { day: string }>({
  data,
  bars,
}: {
  data: T[];
  bars: { key: string; name: string; fill: string }[];
}) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={data} margin={{ top: 5, right: 10, left: 0, bottom: 5 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis dataKey="day" tickFormatter={shortDay} fontSize={12} />
        <YAxis allowDecimals={false} fontSize={12} />
        <Tooltip labelFormatter={(d) => shortDay(String(d))} />
        <Legend />
        {bars.map((b) => (
          <Bar key={b.key} isAnimationActive={false} dataKey={b.key} name={b.name} fill={b.fill} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
