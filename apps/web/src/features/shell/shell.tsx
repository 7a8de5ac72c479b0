import type { Me, Permission } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon, type IconName } from '../../components/icons.tsx';
import { PageSuspense } from '../../components/page-suspense.tsx';
import { Alert, Button, Select } from '../../components/ui.tsx';
import { authKeys } from '../auth/keys.ts';
import { useMe } from '../auth/use-me.ts';
import { clearDrafts } from '../inbox/drafts.ts';
import { NotificationBell } from '../notifications/bell.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { useRealtime } from '../realtime/use-realtime.ts';
import { VersionFooter } from './app-version.tsx';
import { NewOrgButton } from './new-org.tsx';

export const SECTIONS = [
  { to: '/inbox', label: 'Inbox', icon: 'inbox' },
  { to: '/contacts', label: 'Contacts', icon: 'contacts' },
  { to: '/templates', label: 'Templates', icon: 'templates' },
  { to: '/campaigns', label: 'Campaigns', icon: 'campaigns' },
  { to: '/automation', label: 'Automation', icon: 'automation' },
  { to: '/reports', label: 'Reports', icon: 'reports', needs: 'reports.read' },
  { to: '/settings', label: 'Settings', icon: 'settings' },
] as const satisfies readonly { to: string; label: string; icon: IconName; needs?: Permission }[];

function OrgSwitcher({ me }: { me: Me }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const switchOrg = useMutation({
    mutationFn: (orgId: string) => api.me.switchOrg(orgId),
    onSuccess: async (next) => {
      // Everything cached belongs to the previous org.
      qc.clear();
      qc.setQueryData(authKeys.me, next);
      navigate('/inbox');
    },
  });
  if (me.orgs.length < 2) {
    return <span className="truncate text-sm font-medium text-slate-800">{me.org.name}</span>;
  }
  return (
    <div className="flex items-center gap-2">
      <label htmlFor="org-switcher" className="sr-only">
        Organisation
      </label>
      <Select
        id="org-switcher"
        className="max-w-56 py-1.5"
        value={me.org.id}
        disabled={switchOrg.isPending}
        title={switchOrg.isPending ? 'Switching…' : undefined}
        onChange={(e) => switchOrg.mutate(e.target.value)}
      >
        {me.orgs.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </Select>
      {switchOrg.error && <span className="text-xs text-red-700">{errorMessage(switchOrg.error)}</span>}
    </div>
  );
}

/** Keeps the realtime connection open and says, discreetly, when updates are not live. */
function LiveIndicator({ orgId }: { orgId: string }) {
  const status = useRealtime(orgId);
  if (status === 'polling') {
    return (
      <span
        className="text-xs text-amber-700"
        role="status"
        title="The live connection is down; checking every 30 seconds."
      >
        Reconnecting…
      </span>
    );
  }
  return (
    <span className="sr-only" role="status">
      {status === 'live' ? 'Live updates on' : ''}
    </span>
  );
}

/**
 * While the organisation runs on the sandbox number, every page says so: nothing sent from here
 * reaches a real phone. Hover or focus explains; the badge leads to the number settings.
 */
function SandboxBadge() {
  const numbers = useNumbers();
  const tip = useId();
  if (!numbers.data?.data.some((n) => n.is_sandbox)) return null;
  return (
    <span className="group relative">
      <Link
        to="/settings/numbers"
        aria-describedby={tip}
        data-testid="sandbox-badge"
        className="inline-flex items-center gap-1 rounded-full border border-amber-300 bg-amber-100 px-2.5 py-0.5 text-xs font-semibold text-amber-900 hover:bg-amber-200"
      >
        <Icon name="sandbox" className="h-3.5 w-3.5" />
        Sandbox
      </Link>
      <span
        id={tip}
        role="tooltip"
        className="pointer-events-none absolute top-full left-0 z-30 mt-2 hidden w-72 rounded-md bg-slate-900 px-3 py-2 text-xs leading-relaxed font-normal text-white shadow-lg group-focus-within:block group-hover:block"
      >
        Messages go to the built-in simulator, not WhatsApp. Simulated customers write in; connect a real
        number under Settings → Numbers to leave the sandbox.
      </span>
    </span>
  );
}

export function Shell() {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const logout = useMutation({
    mutationFn: () => api.auth.logout(),
    onSettled: () => {
      // What this person typed but did not send stays with them, not with the next one at this computer.
      clearDrafts();
      qc.clear();
      qc.setQueryData(authKeys.me, null);
      navigate('/login', { replace: true });
    },
  });
  if (me.isPending) {
    return (
      <div className="flex min-h-screen items-center justify-center text-sm text-slate-500" role="status">
        Loading…
      </div>
    );
  }
  if (me.error) return <Alert>{errorMessage(me.error)}</Alert>;
  if (!me.data) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  const user = me.data;
  return (
    <div className="flex min-h-screen flex-col md:flex-row">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:m-2 focus:rounded focus:bg-white focus:p-2"
      >
        Skip to content
      </a>
      <nav
        aria-label="Main"
        className="border-b border-slate-200 bg-white md:flex md:w-56 md:shrink-0 md:flex-col md:border-r md:border-b-0"
      >
        <div className="hidden px-5 py-4 text-lg font-bold text-brand-700 md:block">openwaba</div>
        <ul className="flex gap-1 overflow-x-auto px-2 py-2 md:flex-col md:overflow-visible md:py-0">
          {SECTIONS.filter((s) => !('needs' in s) || user.permissions.includes(s.needs)).map((s) => (
            <li key={s.to}>
              <NavLink
                to={s.to}
                className={({ isActive }) =>
                  `flex items-center gap-2 whitespace-nowrap rounded-md px-3 py-2 text-sm ${
                    isActive
                      ? 'bg-brand-50 font-semibold text-brand-800'
                      : 'text-slate-700 hover:bg-slate-100'
                  }`
                }
              >
                <Icon name={s.icon} />
                {s.label}
              </NavLink>
            </li>
          ))}
        </ul>
        <VersionFooter />
      </nav>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-between gap-3 border-b border-slate-200 bg-white px-4 py-2 md:px-6">
          <div className="flex min-w-0 items-center gap-3">
            <OrgSwitcher me={user} />
            <NewOrgButton me={user} />
            <SandboxBadge />
          </div>
          <div className="flex items-center gap-3">
            <LiveIndicator orgId={user.org.id} />
            <NotificationBell />
            <span className="hidden text-sm text-slate-600 sm:inline" title={user.user.email}>
              {user.user.name || user.user.email} · {user.role}
            </span>
            <Button
              variant="secondary"
              onClick={() => logout.mutate()}
              disabledReason={logout.isPending && 'Signing out…'}
            >
              Sign out
            </Button>
          </div>
        </header>
        <main id="main" className="flex-1 p-4 md:p-6">
          <PageSuspense>
            <Outlet />
          </PageSuspense>
        </main>
      </div>
    </div>
  );
}
