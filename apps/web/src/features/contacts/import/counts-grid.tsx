import type { ImportCounts } from '@openwaba/contracts';
import type { BadgeTone } from '../../../components/ui.tsx';

/** What happens (or happened) to the file's rows, by outcome. */
export function CountsGrid({ counts, done }: { counts: ImportCounts; done?: boolean }) {
  const items: [string, number, BadgeTone][] = [
    [done ? 'Created' : 'New', counts.new, 'green'],
    [done ? 'Updated' : 'Will update', counts.updated, 'sky'],
    ['Unchanged', counts.unchanged, 'slate'],
    ['Invalid', counts.invalid, 'red'],
    ['Duplicates in file', counts.duplicates, 'amber'],
  ];
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5" aria-label="Counts">
      {items.map(([label, n, tone]) => (
        <div key={label} className="rounded-md border border-slate-200 bg-white px-3 py-2">
          <dt className="text-xs uppercase text-slate-500">{label}</dt>
          <dd className="mt-0.5 flex items-center gap-2 text-lg font-semibold text-slate-900">
            {n.toLocaleString()}
            <span aria-hidden="true" className={`h-2 w-2 rounded-full ${DOT[tone]}`} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
const DOT: Record<BadgeTone, string> = {
  green: 'bg-green-500',
  sky: 'bg-sky-500',
  slate: 'bg-slate-400',
  red: 'bg-red-500',
  amber: 'bg-amber-500',
};
