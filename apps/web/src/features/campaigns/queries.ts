import type { Campaign, CampaignState } from '@openwaba/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import type { BadgeTone } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { campaignKeys } from './keys.ts';

/** States in which the sender is (or may soon be) at work: the page keeps a slow poll as a safety net. */
export const ACTIVE: readonly CampaignState[] = ['scheduled', 'running', 'paused'];
export const FINISHED: readonly CampaignState[] = ['completed', 'stopped', 'failed'];

/**
 * Realtime events (`campaign.progress`) move the counters while messages are sent; the slow poll covers
 * a dropped socket. Delivered and read statuses keep arriving after the last send and no event
 * announces them, so a campaign that ended a moment ago is asked again more often for a while.
 */
const RECENT_MS = 10 * 60_000;
export function pollEvery(c: Campaign | undefined): number | false {
  if (!c) return false;
  if (ACTIVE.includes(c.state)) return 15_000;
  if (c.finished_at && Date.now() - Date.parse(c.finished_at) < RECENT_MS) return 5000;
  return false;
}

export function useCampaigns() {
  return useQuery({
    queryKey: campaignKeys.list,
    queryFn: () => api.campaigns.list(),
    refetchInterval: (q) => {
      const every = (q.state.data?.data ?? []).map(pollEvery).filter((x) => x !== false);
      return every.length ? Math.min(...every) : false;
    },
  });
}

export function useCampaign(id: string) {
  return useQuery({
    queryKey: campaignKeys.one(id),
    queryFn: () => api.campaigns.get(id),
    refetchInterval: (q) => pollEvery(q.state.data),
  });
}

/** Managers and above create and steer campaigns; viewers and agents read. The server checks again. */
export function useCampaignRights() {
  const me = useMe();
  return { canManage: me.data?.permissions.includes('campaigns.manage') ?? false };
}

export const STATE_TONE: Record<CampaignState, BadgeTone> = {
  draft: 'slate',
  scheduled: 'sky',
  running: 'green',
  paused: 'amber',
  completed: 'green',
  stopped: 'slate',
  failed: 'red',
};

export const stateLabel = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export const n = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toLocaleString());

export const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 100) : 0);

export function duration(seconds: number | null | undefined) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Recipients that will get a message, or already did: everything but the invalid and skipped. */
export const sendable = (c: Campaign) => Math.max(0, c.counts.total - c.counts.invalid - c.counts.skipped);
