import type { Template } from '@openwaba/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { useMe } from '../auth/use-me.ts';
import { templateKeys } from './keys.ts';

export type TemplateFilter = Parameters<typeof api.templates.list>[0];

/**
 * Meta's review ends with a webhook, and the server sends no realtime event for a status change yet:
 * while something is PENDING, ask again now and then so the verdict appears without a reload.
 */
const PENDING_POLL_MS = 5000;

export function useTemplates(filter: TemplateFilter) {
  return useQuery({
    queryKey: templateKeys.list(filter),
    queryFn: () => api.templates.list(filter),
    refetchInterval: (q) =>
      q.state.data?.data.some((t) => t.status === 'PENDING') ? PENDING_POLL_MS * 2 : false,
  });
}

export function useTemplate(id: string) {
  return useQuery({
    queryKey: templateKeys.one(id),
    queryFn: () => api.templates.get(id),
    refetchInterval: (q) => (q.state.data?.status === 'PENDING' ? PENDING_POLL_MS : false),
  });
}

export function useTemplateHistory(id: string) {
  return useQuery({ queryKey: templateKeys.history(id), queryFn: () => api.templates.history(id) });
}

/** Managers and above sync, author, release and delete; everyone else reads. */
export function useTemplateRights() {
  const me = useMe();
  return { canManage: me.data?.permissions.includes('templates.manage') ?? false };
}

export const STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED', 'DELETED'] as const;
export const CATEGORIES = ['UTILITY', 'MARKETING', 'AUTHENTICATION'] as const;

/** Approved reads green, waiting blue, paused amber, refused or disabled red. */
export const statusTone = (t: Pick<Template, 'status'>) =>
  t.status === 'APPROVED'
    ? 'green'
    : t.status === 'PENDING' || t.status === 'IN_APPEAL'
      ? 'sky'
      : t.status === 'PAUSED' || t.status === 'FLAGGED'
        ? 'amber'
        : t.status === 'REJECTED' || t.status === 'DISABLED'
          ? 'red'
          : 'slate';

/** Meta's SHOUTING_CASE as words: `LOW_QUALITY` → "Low quality". */
const CAP = (s: string) => s.charAt(0) + s.slice(1).toLowerCase().replace(/_/g, ' ');
export const words = (s: string | null | undefined) => (s ? CAP(s) : '—');
