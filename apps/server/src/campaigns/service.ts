import { createAudience } from './audience.ts';
import type { CampaignDeps } from './context.ts';
import { createCampaignLifecycle } from './lifecycle.ts';
import { createPreflight } from './preflight.ts';
import { createCampaignProgress } from './progress.ts';
import { createCampaignReport } from './report.ts';
import { createCampaignView } from './view.ts';

export type { CampaignDeps } from './context.ts';

/**
 * Template campaigns (SPEC F5): a draft built from an audience, a pre-flight, sending through the
 * send queue at the number's rate, progress, report. Composed of its parts (see `context.ts`); every
 * write to `campaigns` and `campaign_recipients` is in `repo.ts`.
 */
export function createCampaignService(deps: CampaignDeps) {
  const view = createCampaignView(deps);
  const progress = createCampaignProgress(deps);
  const lifecycle = createCampaignLifecycle(deps, {
    audience: createAudience(deps),
    preflight: createPreflight(deps),
    progress,
    view,
  });
  const report = createCampaignReport(deps, view);

  return {
    create: lifecycle.create,
    get: view.get,
    list: view.list,
    ofContact: report.ofContact,
    start: lifecycle.start,
    schedule: lifecycle.schedule,
    startDue: lifecycle.startDue,
    pause: lifecycle.pause,
    resume: lifecycle.resume,
    stop: lifecycle.stop,
    remove: lifecycle.remove,
    recipients: report.recipients,
    report: report.report,
    /** The reports of campaigns listed (`list`), set-based: three statements for all of them. */
    reports: report.reports,
    exportCsv: report.exportCsv,
    onActivity: progress.onActivity,
    feed: progress.feed,
    pauseForNumber: progress.pauseForNumber,
    pauseForTemplate: progress.pauseForTemplate,
    pauseForTemplateError: progress.pauseForTemplateError,
  };
}
export type CampaignService = ReturnType<typeof createCampaignService>;
