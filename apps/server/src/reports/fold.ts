import type { FastifyBaseLogger } from 'fastify';
import type { ReportService } from './service.ts';

/**
 * Keeps the rollups current: every worker folds new messages and statuses every `intervalMs`
 * (concurrent folds skip each other: the fold holds the state row). `stop` waits for a fold running.
 */
export function createReportFolder(deps: {
  reports: Pick<ReportService, 'fold'>;
  intervalMs: number;
  log: Pick<FastifyBaseLogger, 'error'>;
}) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  function tick() {
    running = deps.reports
      .fold()
      .then(() => undefined)
      .catch((err) => deps.log.error({ err }, 'reports fold failed'))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, deps.intervalMs);
      });
  }

  return {
    start() {
      if (!stopped || deps.intervalMs <= 0) return;
      stopped = false;
      timer = setTimeout(tick, deps.intervalMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
export type ReportFolder = ReturnType<typeof createReportFolder>;
