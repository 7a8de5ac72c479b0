import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { memberKeys, orgKeys, quickReplyKeys, teamKeys } from './keys.ts';

/** Lists that several pages show; each declared once, so every page shares one cache entry and rules. */

/** The current organisation: its name, time zone, privacy and campaign settings. */
export const useOrg = () => useQuery({ queryKey: orgKeys.current, queryFn: () => api.orgs.current() });

/** The organisation's members; `enabled: false` where the signed-in role may not list them. */
export const useMembers = ({ enabled = true }: { enabled?: boolean } = {}) =>
  useQuery({ queryKey: memberKeys.all, queryFn: () => api.members.list(), enabled });

export const useTeams = ({ enabled = true }: { enabled?: boolean } = {}) =>
  useQuery({ queryKey: teamKeys.all, queryFn: () => api.teams.list(), enabled });

export const useQuickReplies = () =>
  useQuery({ queryKey: quickReplyKeys.all, queryFn: () => api.quickReplies.list() });
