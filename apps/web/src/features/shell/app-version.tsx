import type { AppVersion } from '@openwaba/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';

/** The server's answer is the one source of the version: the dashboard bakes none in. */
export const versionKeys = { current: ['version'] as const };

/** What the server runs; it changes only with a restart (a new build reloads the page anyway). */
export const useAppVersion = () =>
  useQuery({
    queryKey: versionKeys.current,
    queryFn: () => api.version(),
    staleTime: Number.POSITIVE_INFINITY,
  });

/** `openwaba 0.1.0 (05c32ea)`, or without the commit where the install has no git. */
export const versionText = (v: AppVersion) => `openwaba ${v.version}${v.commit ? ` (${v.commit})` : ''}`;

/**
 * The version, small, at the foot of the navigation (wide screens): what to quote in a bug report,
 * without taking height from the pages (the inbox fills the window). Settings → Organisation → About
 * shows it on every screen.
 */
export function VersionFooter() {
  const version = useAppVersion();
  if (!version.data) return null;
  return (
    <p className="mt-auto hidden px-5 py-3 text-xs text-slate-500 md:block" data-testid="app-version">
      {versionText(version.data)}
    </p>
  );
}
