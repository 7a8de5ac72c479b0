import type { JobQueue } from '../jobs/queue.ts';
import { labelMessage } from './label.job.ts';
import type { AiService } from './service.ts';

/** How long this process trusts what it read of an organisation's label setting. */
const SETTING_TTL_MS = 10_000;

/**
 * The `message.received` reaction: a customer's message is queued for its intent label when the
 * organisation labels (AI configured, labels on). The setting is cached briefly so the inbound path
 * does not read it for every message.
 */
export function createLabelQueue(deps: {
  ai: Pick<AiService, 'settingsOf' | 'configured'>;
  jobs: Pick<JobQueue, 'enqueue'>;
}) {
  const cache = new Map<string, { on: boolean; at: number }>();
  async function labels(orgId: string) {
    const hit = cache.get(orgId);
    if (hit && Date.now() - hit.at < SETTING_TTL_MS) return hit.on;
    const s = await deps.ai.settingsOf(orgId);
    const on = s.labels_enabled && deps.ai.configured(s);
    cache.set(orgId, { on, at: Date.now() });
    return on;
  }
  return {
    async queue(e: { orgId: string; messageId: string }) {
      if (await labels(e.orgId))
        await deps.jobs.enqueue(labelMessage, { orgId: e.orgId, messageId: e.messageId });
    },
    /** This process changed the setting: read it again. */
    forget(orgId: string) {
      cache.delete(orgId);
    },
  };
}
export type LabelQueue = ReturnType<typeof createLabelQueue>;
