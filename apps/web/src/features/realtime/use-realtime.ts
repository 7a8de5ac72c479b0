import type { Campaign, ContactImport, StoredEvent } from '@openwaba/contracts';
import { createRealtime, type RealtimeStatus } from '@openwaba/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { authKeys } from '../auth/keys.ts';
import { campaignKeys } from '../campaigns/keys.ts';
import { contactKeys, importKeys } from '../contacts/keys.ts';
import { inboxKeys } from '../inbox/keys.ts';
import { applyInboxEvent } from '../inbox/live.ts';
import { notificationKeys } from '../notifications/keys.ts';
import { numberKeys } from '../numbers/keys.ts';
import { reportKeys } from '../reports/keys.ts';
import { auditKeys, jobKeys, memberKeys, orgKeys } from '../settings/keys.ts';
import { templateKeys } from '../templates/keys.ts';

/** The most often a report on screen is asked again while messages flow. */
const REPORT_REFRESH_MS = 3000;

/**
 * One realtime connection per signed-in organisation. Events update the query cache, so every page
 * shows what happened without a reload; while the socket is down, the SDK polls every 30 s.
 */
export function useRealtime(orgId: string): RealtimeStatus | undefined {
  const qc = useQueryClient();
  const [status, setStatus] = useState<RealtimeStatus>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new organisation needs a new connection (the server binds it to the org)
  useEffect(() => {
    // Reports move with messages and campaigns: refetched at most once per REPORT_REFRESH_MS, after the
    // rollup fold (every 250 ms) has counted what the event announced. Only a report on screen refetches.
    let reportTimer: ReturnType<typeof setTimeout> | undefined;
    const refreshReports = () => {
      reportTimer ??= setTimeout(() => {
        reportTimer = undefined;
        void qc.invalidateQueries({ queryKey: reportKeys.all });
      }, REPORT_REFRESH_MS);
    };
    const onEvent = ({ event }: StoredEvent) => {
      applyInboxEvent(qc, event);
      if (
        event.type === 'message.received' ||
        event.type === 'message.status_updated' ||
        event.type === 'campaign.progress'
      )
        refreshReports();
      switch (event.type) {
        case 'notification.created':
        case 'notification.read':
          qc.setQueryData(notificationKeys.unread, { unread_count: event.data.unread_count });
          void qc.invalidateQueries({ queryKey: notificationKeys.list });
          break;
        case 'job.failed':
          void qc.invalidateQueries({ queryKey: jobKeys.all });
          break;
        case 'org.updated':
          void qc.invalidateQueries({ queryKey: orgKeys.current });
          void qc.invalidateQueries({ queryKey: authKeys.me });
          break;
        case 'member.changed':
          void qc.invalidateQueries({ queryKey: memberKeys.all });
          break;
        case 'contact.created':
        case 'contact.updated':
        case 'contact.deleted':
        case 'contact.consent_changed':
        case 'contacts.bulk_updated':
          void qc.invalidateQueries({ queryKey: contactKeys.all });
          break;
        case 'contacts.import_progress': {
          // The wizard's progress bar moves with each event; the final counts come from a refetch.
          const { import_id, processed, state } = event.data;
          qc.setQueryData<ContactImport>(importKeys.one(import_id), (old) =>
            old ? { ...old, processed, state } : old,
          );
          if (state === 'completed' || state === 'failed')
            void qc.invalidateQueries({ queryKey: importKeys.one(import_id) });
          break;
        }
        case 'template.status_updated':
        case 'template.category_updated':
        case 'template.quality_updated':
          // PENDING → APPROVED, a quarantine, a new quality score: the catalogue and open templates follow.
          void qc.invalidateQueries({ queryKey: templateKeys.all });
          break;
        case 'campaign.progress': {
          // Counters move with each event, without a refetch; a state change refetches the whole campaign.
          const d = event.data;
          let stateChanged = false;
          const patch = (c: Campaign): Campaign => {
            if (d.state && d.state !== c.state) stateChanged = true;
            return {
              ...c,
              state: (d.state as Campaign['state'] | undefined) ?? c.state,
              rate: d.rate === undefined ? c.rate : d.rate,
              counts: {
                ...c.counts,
                total: d.total,
                sent: d.sent,
                failed: d.failed,
                queued: d.queued ?? c.counts.queued,
                delivered: d.delivered ?? c.counts.delivered,
                read: d.read ?? c.counts.read,
                // The event counts the invalid with the skipped.
                skipped:
                  d.skipped === undefined ? c.counts.skipped : Math.max(0, d.skipped - c.counts.invalid),
              },
            };
          };
          qc.setQueryData<Campaign>(campaignKeys.one(d.campaign_id), (old) => (old ? patch(old) : old));
          const list = qc.getQueryData<{ data: Campaign[] }>(campaignKeys.list);
          if (list?.data.some((c) => c.id === d.campaign_id)) {
            qc.setQueryData(campaignKeys.list, {
              data: list.data.map((c) => (c.id === d.campaign_id ? patch(c) : c)),
            });
          } else if (list) {
            // Started from another tab or the API: the list does not hold it yet.
            void qc.invalidateQueries({ queryKey: campaignKeys.list });
          }
          if (stateChanged || (d.state && ['completed', 'stopped', 'failed', 'paused'].includes(d.state))) {
            void qc.invalidateQueries({ queryKey: campaignKeys.one(d.campaign_id) });
            void qc.invalidateQueries({ queryKey: campaignKeys.recipients(d.campaign_id) });
            void qc.invalidateQueries({ queryKey: campaignKeys.report(d.campaign_id) });
          }
          break;
        }
        case 'number.health_updated':
          void qc.invalidateQueries({ queryKey: numberKeys.all });
          break;
        default:
          break;
      }
      if (event.type !== 'notification.read') void qc.invalidateQueries({ queryKey: auditKeys.all });
    };
    const rt = createRealtime({
      onEvent,
      onResync: () => void qc.invalidateQueries(),
      onStatus: (s) => {
        setStatus(s);
        // Whatever happened between loading the page and the stream going live was not pushed: refetch it.
        if (s === 'live') {
          void qc.invalidateQueries({ queryKey: notificationKeys.all });
          void qc.invalidateQueries({ queryKey: inboxKeys.all });
        }
      },
      poll: (since) => api.events.since(since),
      beforeReconnect: () => api.auth.refresh(),
    });
    return () => {
      clearTimeout(reportTimer);
      rt.close();
    };
  }, [orgId, qc]);
  return status;
}
