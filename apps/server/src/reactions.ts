import type { LabelQueue } from './ai/labels.ts';
import type { Chain } from './automation/chain.ts';
import type { CampaignService } from './campaigns/service.ts';
import type { ConsentService } from './contacts/consent.ts';
import type { Db } from './db/client.ts';
import type { DomainEventMap, DomainEvents } from './events/domain-events.ts';
import type { InboundService } from './inbound/service.ts';
import type { Log } from './lib/log.ts';
import type { Sender } from './messages/sender.ts';
import type { OutboundService } from './messages/service.ts';
import type { NotificationService } from './notifications/service.ts';
import type { ReportService } from './reports/service.ts';
import type { TemplateService } from './templates/service.ts';

/** What the reactions use, as the composition root built it. */
export interface ReactionDeps {
  db: Db;
  log: Log;
  consent: Pick<ConsentService, 'stopConfirmationText'>;
  outbound: Pick<OutboundService, 'send'>;
  sender: Pick<Sender, 'poke'>;
  templates: Pick<TemplateService, 'reevaluatePolicy'>;
  campaigns: Pick<
    CampaignService,
    'pauseForTemplate' | 'pauseForNumber' | 'pauseForTemplateError' | 'onActivity' | 'feed'
  >;
  inbound: Pick<InboundService, 'forgetWebhookSecrets'>;
  notifications: Pick<NotificationService, 'notifyRole'>;
  automation: Pick<Chain, 'enqueue'>;
  aiLabels: Pick<LabelQueue, 'queue'>;
  reports: Pick<ReportService, 'forgetTag'>;
}

/**
 * Every place one domain reacts to another, in one list: the emitting domain names the moment
 * (`events/domain-events.ts`), this says what follows. Each runs after the emitter's change has
 * committed, in transactions of its own; a failure is logged and fails nothing else. Automation,
 * AI replies and outbound webhooks plug in here (docs/adr/0013-reactions-seam.md).
 */
export function addReactions(domainEvents: Pick<DomainEvents, 'on'>, s: ReactionDeps) {
  const { on } = domainEvents;
  on('consent.opted_out', 'send the opt-out confirmation', (e) => sendOptOutConfirmation(s, e));
  on('org.campaign_policy_changed', 're-evaluate the templates against the policy', (e) =>
    s.templates.reevaluatePolicy(e.orgId),
  );
  on('template.unusable', 'pause the campaigns using the template', (e) =>
    s.campaigns.pauseForTemplate(e.orgId, e.templateId, e.why),
  );
  on('number.credentials_changed', "forget this process's webhook secrets", () =>
    s.inbound.forgetWebhookSecrets(),
  );
  on('number.token_refused', 'pause the campaigns on the number', (e) =>
    s.campaigns.pauseForNumber(e.orgId, e.numberId, e.message),
  );
  on('campaign.template_refused', 'pause the campaigns', (e) =>
    s.campaigns.pauseForTemplateError(e.orgId, e.campaignIds, e.message),
  );
  on('campaign.sends_recorded', 'publish progress and complete finished campaigns', (e) =>
    s.campaigns.onActivity(e.campaignIds),
  );
  on('billing.cap_near', "tell the organisation's admins", (e) =>
    s.notifications.notifyRole(e.orgId, 'admin', {
      type: 'billing.cap_near',
      title: 'A spend cap is nearly reached',
      message: `${e.message} Sends that would cross it are refused.`,
      actionUrl: e.campaignId ? `/campaigns/${e.campaignId}` : '/settings/billing',
      relatedEntityType: e.campaignId ? 'campaign' : null,
      relatedEntityId: e.campaignId,
    }),
  );
  on('message.received', 'queue the message for the automation chain', (e) => s.automation.enqueue(e));
  on('message.received', 'queue the message for its intent label (when the organisation labels)', (e) =>
    s.aiLabels.queue(e),
  );
  on('tag.deleted', "drop the tag's report figures", (e) => s.reports.forgetTag(e.orgId, e.tagId));
  on('sender.woke', 'queue the next chunk of the running campaigns', () => s.campaigns.feed());
}

/**
 * The organisation's confirmation reply to a STOP, if it has one, through the one send path (the
 * customer has just written, so the 24 h window is open). Sent once: the event is emitted only when
 * the opt-out committed, and a redelivered STOP is a duplicate message that changes no consent.
 */
async function sendOptOutConfirmation(s: ReactionDeps, e: DomainEventMap['consent.opted_out']) {
  const text = await s.consent.stopConfirmationText(s.db, e.orgId);
  if (!text) return;
  try {
    await s.outbound.send(e.orgId, {
      numberId: e.numberId,
      to: { contactId: e.contactId },
      content: { type: 'text', text: { body: text } },
      source: 'system',
      purpose: 'consent_confirmation',
    });
  } catch (err) {
    // Refused by a check (e.g. the number was just disconnected): the opt-out stands regardless.
    s.log.warn({ err, orgId: e.orgId }, 'opt-out confirmation not sent');
    return;
  }
  s.sender.poke();
}
