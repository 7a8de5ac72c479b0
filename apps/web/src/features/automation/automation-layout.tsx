import { NavLink, Outlet } from 'react-router';
import { PageSuspense } from '../../components/page-suspense.tsx';
import { PageHeader } from '../../components/ui.tsx';

const TABS = [
  { to: '/automation/rules', label: 'Rules' },
  { to: '/automation/hours', label: 'Business hours' },
  { to: '/automation/flows', label: 'Flows' },
  { to: '/automation/runs', label: 'Runs' },
] as const;

/** Automation: keyword rules, business hours, flows and the runs of flows, one tab each. */
export function AutomationLayout() {
  return (
    <>
      <PageHeader title="Automation" />
      <nav aria-label="Automation" className="mb-6 flex gap-1 overflow-x-auto border-b border-slate-200">
        {TABS.map((t) => (
          <NavLink
            key={t.to}
            to={t.to}
            className={({ isActive }) =>
              `-mb-px border-b-2 px-3 py-2 text-sm ${isActive ? 'border-brand-600 font-semibold text-brand-800' : 'border-transparent text-slate-600 hover:text-slate-900'}`
            }
          >
            {t.label}
          </NavLink>
        ))}
      </nav>
      <PageSuspense>
        <Outlet />
      </PageSuspense>
    </>
  );
}
