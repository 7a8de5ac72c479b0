import { NavLink, Outlet } from 'react-router';
import { PageHeader } from '../../components/ui.tsx';

const TABS = [
  { to: '/settings/organisation', label: 'Organisation' },
  { to: '/settings/members', label: 'Members' },
  { to: '/settings/account', label: 'Account' },
];

export function SettingsLayout() {
  return (
    <>
      <PageHeader title="Settings" />
      <nav aria-label="Settings" className="mb-6 flex gap-1 border-b border-slate-200">
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
      <Outlet />
    </>
  );
}
