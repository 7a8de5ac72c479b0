import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { useMe } from '../auth/use-me.ts';
import { useOrg } from '../settings/queries.ts';
import { contactKeys, fieldKeys, segmentKeys, tagKeys } from './keys.ts';

export type ContactListOptions = NonNullable<Parameters<typeof api.contacts.list>[0]>;

// Small lists that other tabs, members and the API change without a realtime event: read again
// whenever a component that shows them mounts (the inbox caches them first, then the campaign wizard
// or a contact page would show a stale copy for the cache's 30 s). `enabled: false` where the
// signed-in role has no use for them.
export const useTags = ({ enabled = true }: { enabled?: boolean } = {}) =>
  useQuery({ queryKey: tagKeys.all, queryFn: () => api.tags.list(), refetchOnMount: 'always', enabled });
export const useFields = () =>
  useQuery({ queryKey: fieldKeys.all, queryFn: () => api.fields.list(), refetchOnMount: 'always' });
export const useSegments = () =>
  useQuery({ queryKey: segmentKeys.all, queryFn: () => api.segments.list(), refetchOnMount: 'always' });

/** Contacts matching a filter, one cursor page at a time ("Load more"). */
export function useContactPages(filter: ContactListOptions) {
  return useInfiniteQuery({
    queryKey: contactKeys.list(filter),
    queryFn: ({ pageParam }) =>
      api.contacts.list({ ...filter, cursor: pageParam, limit: 50, with_total: pageParam === undefined }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** What the signed-in person may do with contacts; the server checks again. */
export function useContactRights() {
  const me = useMe();
  const p = me.data?.permissions ?? [];
  return {
    canWrite: p.includes('contacts.write'),
    canManage: p.includes('contacts.manage'),
    canImport: p.includes('contacts.import'),
  };
}

/**
 * Whether the organisation hides customers' phone numbers from the signed-in person's role (the
 * server already sends them masked; this only explains it on screen).
 */
export function usePhonesHidden(): boolean {
  const me = useMe();
  const org = useOrg();
  return Boolean(org.data?.settings.hide_phone_numbers && !me.data?.permissions.includes('contacts.phones'));
}
