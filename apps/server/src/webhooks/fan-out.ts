import type { Database } from '../db/client.ts';
import type { Log } from '../lib/log.ts';
import * as repo from './repo.ts';

/**
 * The outbox read: the organisation's `events` rows are the outbox, and this turns the new ones
 * into deliveries (exactly once: `repo.fanOut`). It runs when an event is announced on
 * `ow_events`, and on a timer for what a lost notification or a busy cursor left behind. Several
 * worker processes may run it: the cursor row is locked with SKIP LOCKED, one of them wins.
 */
export function createFanOut(o: {
  database: Database;
  log: Log;
  eventsChannel: string;
  /** Events read per statement (WEBHOOK_BATCH_SIZE). */
  batchSize: number;
  /** Called after new deliveries were made in this process. */
  onDeliveries: () => void;
}) {
  const { db } = o.database;
  const dirty = new Set<string>();
  let draining: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;

  /** Fans out one organisation until it is caught up. */
  async function runOrg(orgId: string) {
    for (;;) {
      const r = await repo.fanOut(db, orgId, o.batchSize);
      if (r.inserted) o.onDeliveries();
      if (r.read < o.batchSize) return;
    }
  }

  function drain(): Promise<void> {
    if (draining) return draining;
    draining = (async () => {
      while (dirty.size) {
        const orgs = [...dirty];
        dirty.clear();
        for (const orgId of orgs) {
          try {
            await runOrg(orgId);
          } catch (err) {
            o.log.error({ err, orgId }, 'webhooks: fan-out failed');
          }
        }
      }
    })().finally(() => {
      draining = undefined;
    });
    return draining;
  }

  /** Every organisation whose events are ahead of its cursor, now (the timer; tests). */
  async function sweep() {
    for (const orgId of await repo.laggingOrgs(db, 1000)) dirty.add(orgId);
    await drain();
  }

  async function start(opts: { pollMs?: number } = {}) {
    unlisten = await o.database.listen(
      o.eventsChannel,
      (payload) => {
        const orgId = payload.split(':')[0];
        if (!orgId) return;
        dirty.add(orgId);
        void drain();
      },
      () => void sweep().catch(() => {}),
    );
    const tick = () => {
      timer = setTimeout(() => {
        sweep()
          .catch((err) => o.log.error({ err }, 'webhooks: fan-out sweep failed'))
          .finally(() => {
            if (timer) tick();
          });
      }, opts.pollMs ?? 1000);
      timer.unref?.();
    };
    tick();
    await sweep();
  }

  async function stop() {
    clearTimeout(timer);
    timer = undefined;
    await unlisten?.();
    unlisten = undefined;
    await draining;
  }

  return { start, stop, sweep };
}
export type FanOut = ReturnType<typeof createFanOut>;
