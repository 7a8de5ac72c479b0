import type { DomainEvent } from '@openwaba/contracts';
import { eq, sql } from 'drizzle-orm';
import type { ConsentService } from '../contacts/consent.ts';
import type { Db } from '../db/client.ts';
import { numberHealth, numbers } from '../db/schema.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { limitTierOf } from '../numbers/portfolio.ts';
import type { NumberService } from '../numbers/service.ts';
import type { TemplateService } from '../templates/service.ts';
import type { AccountUpdate } from './normalize.ts';
import { type EventPlan, type NumberRow, tally } from './plan.ts';

/**
 * Template status/category/quality changes and account notices: recorded once per organisation
 * (replays do not record twice) and published as events; the templates domain acts on them.
 */
export function createAccountUpdates(deps: {
  db: Db;
  events: EventService;
  consent: Pick<ConsentService, 'recordMarketingPreferences'>;
  numbers: Pick<NumberService, 'setPortfolioTier'>;
  templates: Pick<TemplateService, 'applyMetaUpdate'>;
  requestTemplateSync(orgId: string): Promise<void>;
}) {
  const { db, events } = deps;

  /** One notice of `plan`, for the numbers (of the signing app) it concerns. */
  return async function recordAccountUpdate(plan: EventPlan, a: EventPlan['account'][number]) {
    const { update, wabaId, value, index } = a.change;
    const { field } = update;
    const affected: NumberRow[] = a.targets;
    const eventId = plan.id;
    const orgs = new Map<string, NumberRow>();
    for (const n of affected) if (!orgs.has(n.orgId)) orgs.set(n.orgId, n);
    for (const [orgId, first] of orgs) {
      await transaction(db, async (tx, onCommit) => {
        const [created] = await queryRows<{ id: number }>(
          tx,
          sql`insert into meta_updates (org_id, number_id, waba_id, field, payload, webhook_event_id, change_index)
              values (${orgId}, ${field === 'phone_number_quality_update' || field === 'user_preferences' ? first.id : null}, ${wabaId}, ${field},
                      ${JSON.stringify(value)}::jsonb, ${eventId}, ${index})
              on conflict (webhook_event_id, change_index, org_id) do nothing returning id`,
        );
        if (!created) return;
        tally(plan, orgId, 'updates');
        const published: DomainEvent[] = [];
        if (update.field === 'user_preferences') {
          for (const n of affected.filter((x) => x.orgId === orgId)) {
            await deps.consent.recordMarketingPreferences(tx, onCommit, {
              orgId,
              numberId: n.id,
              preferences: update.preferences,
              webhookEventId: eventId,
              changeIndex: index,
            });
          }
        } else if (update.field === 'business_capability_update') {
          // The portfolio's new limit: every number of the WABA (and of its portfolio) takes it.
          const tier = limitTierOf(update.businessLimit);
          if (tier) {
            for (const n of affected.filter((x) => x.orgId === orgId)) {
              await deps.numbers.setPortfolioTier(tx, orgId, n.id, tier);
              published.push({ type: 'number.health_updated', data: { number_id: n.id, source: field } });
            }
          }
        } else if (update.field === 'phone_number_quality_update' || update.field === 'account_update') {
          const quality = update.field === 'phone_number_quality_update';
          for (const n of affected.filter((x) => x.orgId === orgId)) {
            await tx.insert(numberHealth).values({
              numberId: n.id,
              source: field,
              event: update.event,
              qualityRating: quality ? qualityOf(update.event) : null,
              messagingLimitTier:
                (quality ? limitTierOf(update.businessLimit) : undefined) ?? update.currentLimit,
            });
            // The portfolio's limit (max_daily_conversations_per_business) is shared by its numbers;
            // the deprecated per-number current_limit only when Meta sends no other.
            const portfolioTier = quality ? limitTierOf(update.businessLimit) : undefined;
            if (portfolioTier) await deps.numbers.setPortfolioTier(tx, orgId, n.id, portfolioTier);
            else if (quality && update.currentLimit) {
              await tx
                .update(numbers)
                .set({ messagingLimitTier: update.currentLimit, updatedAt: new Date() })
                .where(eq(numbers.id, n.id));
            }
            published.push({ type: 'number.health_updated', data: { number_id: n.id, source: field } });
          }
        } else {
          const event = templateEvent(update, wabaId);
          if (event) published.push(event);
          if (await deps.templates.applyMetaUpdate(tx, orgId, field, wabaId, value, onCommit)) {
            onCommit(() => deps.requestTemplateSync(orgId));
          }
        }
        if (published.length) onCommit(() => events.publish(orgId, published));
      });
    }
  };
}

/** `phone_number_quality_update` events name a direction, not a colour; record what they imply. */
function qualityOf(event: string | null): string | null {
  if (event === 'FLAGGED' || event === 'DOWNGRADE') return 'RED';
  if (event === 'UNFLAGGED' || event === 'UPGRADE') return 'GREEN';
  return null;
}

function templateEvent(update: AccountUpdate, wabaId: string): DomainEvent | undefined {
  if (!('template' in update)) return undefined;
  const { template } = update;
  const base = {
    waba_id: wabaId,
    template_id: template.id,
    name: template.name,
    language: template.language,
  };
  if (update.field === 'template_category_update') {
    return {
      type: 'template.category_updated',
      data: {
        ...base,
        previous_category: update.previousCategory,
        new_category: update.newCategory,
        correct_category: update.correctCategory,
      },
    };
  }
  if (update.field === 'message_template_quality_update') {
    return {
      type: 'template.quality_updated',
      data: { ...base, previous_quality: update.previousQuality, new_quality: update.newQuality },
    };
  }
  const { reason } = update;
  return {
    type: 'template.status_updated',
    data: { ...base, status: update.event ?? 'UNKNOWN', reason: reason === 'NONE' ? null : reason },
  };
}
