import type { Permission } from '@openwaba/contracts';
import { NavLink, Outlet } from 'react-router';
import { PageSuspense } from '../../components/page-suspense.tsx';
import { PageHeader } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';

const ALL_TABS: { to: string; label: string; needs?: Permission }[] = [
  { to: '/settings/organisation', label: 'Organisation' },
  { to: '/settings/members', label: 'Members' },
  { to: '/settings/numbers', label: 'Numbers' },
  { to: '/settings/contacts', label: 'Contacts', needs: 'contacts.manage' },
  { to: '/settings/quick-replies', label: 'Quick replies' },
  { to: '/settings/teams', label: 'Teams' },
  { to: '/settings/billing', label: 'Spend', needs: 'reports.read' },
  { to: '/settings/ai', label: 'AI', needs: 'ai.manage' },
  { to: '/settings/knowledge', label: 'Knowledge base', needs: 'ai.knowledge' },
  { to: '/settings/account', label: 'Account' },
  { to: '/settings/notifications', label: 'Notifications' },
  { to: '/settings/api-keys', label: 'API keys', needs: 'integrations.manage' },
  { to: '/settings/webhooks', label: 'Webhooks', needs: 'integrations.manage' },
  { to: '/settings/webhook-events', label: 'Webhook events', needs: 'integrations.manage' },
  { to: '/settings/jobs', label: 'Jobs', needs: 'jobs.manage' },
  { to: '/settings/audit', label: 'Audit log', needs: 'audit.read' },
];

export function SettingsLayout() {
  const me = useMe();
  const TABS = ALL_TABS.filter((t) => !t.needs || me.data?.permissions.includes(t.needs));
  return (
    <>
      <PageHeader title="Settings" />
      <nav aria-label="Settings" className="mb-6 flex flex-wrap gap-x-1 border-b border-slate-200">
        {TABS.map((t) => (
          <NavLink
            key={t.to}
            to={t.to}
            className={({ isActive }) =>
              `-mb-px whitespace-nowrap border-b-2 px-3 py-2 text-sm ${isActive ? 'border-brand-600 font-semibold text-brand-800' : 'border-transparent text-slate-600 hover:text-slate-900'}`
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
