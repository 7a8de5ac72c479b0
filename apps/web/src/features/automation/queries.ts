import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { useMe } from '../auth/use-me.ts';
import { automationKeys } from './keys.ts';

export const useRules = () =>
  useQuery({ queryKey: automationKeys.rules, queryFn: () => api.automation.rules.list() });
export const useHoursList = () =>
  useQuery({ queryKey: automationKeys.hours, queryFn: () => api.automation.hours.list() });
export const useFlows = () =>
  useQuery({ queryKey: automationKeys.flows, queryFn: () => api.automation.flows.list() });

/**
 * "Open now?" for a number or team; refreshed each minute so a badge turns at the hour it names.
 * `enabled: false` where nothing is known yet (a conversation still loading).
 */
export const useHoursStatus = (o: { number_id?: string; team_id?: string }, enabled = true) =>
  useQuery({
    queryKey: automationKeys.hoursStatus(o),
    queryFn: () => api.automation.hours.status(o),
    enabled,
    refetchInterval: 60_000,
  });

/** Managers and above change automation; everyone else reads it. */
export function useAutomationRights() {
  const me = useMe();
  return { canManage: me.data?.permissions.includes('automation.manage') ?? false };
}
