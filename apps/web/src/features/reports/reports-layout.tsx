import { NavLink, Outlet, useLocation } from 'react-router';
import { PageSuspense } from '../../components/page-suspense.tsx';
import { PageHeader } from '../../components/ui.tsx';
import { RangePicker } from './range-picker.tsx';
import { useReportRange } from './use-report-range.ts';

const TABS = [
  { to: '/reports', label: 'Overview', end: true },
  { to: '/reports/campaigns', label: 'Campaigns' },
  { to: '/reports/numbers', label: 'Numbers' },
  { to: '/reports/templates', label: 'Templates' },
  { to: '/reports/spend', label: 'Spend' },
  { to: '/reports/agents', label: 'Agents' },
];

/** Reports: tabs that keep the chosen period and number (in the address), the picker, the report. */
export function ReportsLayout() {
  const { range, today, timezone, setRange } = useReportRange();
  const { search, pathname } = useLocation();
  return (
    <>
      <PageHeader title="Reports" />
      <nav aria-label="Reports" className="mb-4 flex flex-wrap gap-x-1 border-b border-slate-200">
        {TABS.map((t) => (
          <NavLink
            key={t.to}
            to={{ pathname: t.to, search }}
            end={t.end}
            className={({ isActive }) =>
              `-mb-px whitespace-nowrap border-b-2 px-3 py-2 text-sm ${isActive ? 'border-brand-600 font-semibold text-brand-800' : 'border-transparent text-slate-600 hover:text-slate-900'}`
            }
          >
            {t.label}
          </NavLink>
        ))}
      </nav>
      {range && today ? (
        <RangePicker
          key={`${range.from}|${range.to}|${range.number_id ?? ''}|${range.tag_id ?? ''}`}
          range={range}
          today={today}
          timezone={timezone}
          onApply={setRange}
          // Campaigns are compared on their own counters and agents by team: a contact tag divides neither.
          showTag={!/^\/reports\/(campaigns|agents)/.test(pathname)}
        />
      ) : (
        <p role="status">Loading…</p>
      )}
      <PageSuspense>
        <Outlet />
      </PageSuspense>
    </>
  );
}
