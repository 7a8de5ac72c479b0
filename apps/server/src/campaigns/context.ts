import type { BillingService } from '../billing/service.ts';
import type { Config } from '../config.ts';
import type { ContactImportService } from '../contacts/import/service.ts';
import type { ContactService } from '../contacts/service.ts';
import type { Db } from '../db/client.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { UrlGuard } from '../lib/url-guard.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { NumberService } from '../numbers/service.ts';
import type { OrgService } from '../orgs/service.ts';
import type { TemplateService } from '../templates/service.ts';

/**
 * What the campaign service's parts share: the dependencies the composition root hands in, and the
 * shape of a stored campaign. The parts: `lifecycle.ts` (create, start, schedule, pause, resume,
 * stop, remove), `audience.ts` (the recipients of an audience), `preflight.ts`, `progress.ts` (the
 * feed ahead of the sender, progress, completion, pauses the rest of the server asks for),
 * `report.ts` (recipients, report, export, a contact's campaigns), `view.ts` (a campaign as the API
 * shows it) and `repo.ts` (every write to `campaigns` and `campaign_recipients`).
 */
export interface CampaignDeps {
  db: Db;
  config: Config;
  orgs: OrgService;
  contacts: ContactService;
  templates: TemplateService;
  /** The number's business portfolio budget (pre-flight). */
  numbers: Pick<NumberService, 'budgetOf'>;
  events: EventService;
  notifications: NotificationService;
  /** Media links must not point inside our network (lib/url-guard.ts). */
  urlGuard: UrlGuard;
  log: Log;
  /** The sender's current rate for a number (msg/s), when this process sends for it. */
  rateOf?(numberId: string): number | undefined;
  /** Wakes the sender (a campaign just started or resumed). */
  poke?(): void;
  /** The rate card (pre-flight estimate, each message's expected cost) and the spend caps. */
  billing: Pick<BillingService, 'cardAt' | 'chunkPricing' | 'checkCaps' | 'overview'>;
  /** Asks Meta about the number now (its token, its messaging limit) and records the answer. */
  checkNumber?(orgId: string, numberId: string): Promise<unknown>;
  /** An uploaded audience file of the organisation (404 when there is none). */
  audienceFile(orgId: string, id: string): Promise<AudienceFile>;
}

/** How a caller sees a phone and a cell that may hold one (contacts/phone-privacy). */
export type PhoneMask = { phone(p: string): string; text(t: string): string };
export type AudienceFile = Awaited<ReturnType<ContactImportService['audienceFile']>>;
