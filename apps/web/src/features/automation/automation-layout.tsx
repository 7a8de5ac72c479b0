import { NavLink, Outlet } from 'react-router';
import { PageSuspense } from '../../components/page-suspense.tsx';
import { Alert, PageHeader } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { useAutomationRights } from './queries.ts';

const TABS = [
  { to: '/automation/rules', label: 'Rules' },
  { to: '/automation/hours', label: 'Business hours' },
  { to: '/automation/flows', label: 'Flows' },
  { to: '/automation/runs', label: 'Runs' },
] as const;

/** Automation: keyword rules, business hours, flows and the runs of flows, one tab each. */
export function AutomationLayout() {
  const me = useMe();
  const { canManage } = useAutomationRights();
  return (
    <>
      <PageHeader title="Automation" />
      {me.data && !canManage && (
        <div className="mb-4">
          <Alert kind="info">
            Only managers, admins and owners change automation; you can look at it and test messages.
          </Alert>
        </div>
      )}
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
