import type { DomainEvent } from '@openwaba/contracts';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { numberHealth, numbers } from '../db/schema.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { type EventPlan, type Json, type NumberRow, tally } from './plan.ts';

/**
 * Template status/category/quality changes and account notices: recorded once per organisation
 * (replays do not record twice) and published as events; the templates domain acts on them.
 */
export function createAccountUpdates(deps: {
  db: Db;
  events: EventService;
  templates: Pick<TemplateService, 'applyMetaUpdate'>;
  requestTemplateSync(orgId: string): Promise<void>;
}) {
  const { db, events } = deps;

  /** One notice of `plan`, for the numbers (of the signing app) it concerns. */
  return async function recordAccountUpdate(plan: EventPlan, a: EventPlan['account'][number]) {
    const { field, wabaId, value, index } = a;
    const affected: NumberRow[] = a.targets;
    const eventId = plan.id;
    const orgs = new Map<string, NumberRow>();
    for (const n of affected) if (!orgs.has(n.orgId)) orgs.set(n.orgId, n);
    for (const [orgId, first] of orgs) {
      await transaction(db, async (tx, onCommit) => {
        const [created] = await queryRows<{ id: number }>(
          tx,
          sql`insert into meta_updates (org_id, number_id, waba_id, field, payload, webhook_event_id, change_index)
              values (${orgId}, ${field === 'phone_number_quality_update' ? first.id : null}, ${wabaId}, ${field},
                      ${JSON.stringify(value)}::jsonb, ${eventId}, ${index})
              on conflict (webhook_event_id, change_index, org_id) do nothing returning id`,
        );
        if (!created) return;
        tally(plan, orgId, 'updates');
        const published: DomainEvent[] = [];
        if (field === 'phone_number_quality_update' || field === 'account_update') {
          for (const n of affected.filter((x) => x.orgId === orgId)) {
            await tx.insert(numberHealth).values({
              numberId: n.id,
              source: field,
              event: str(value.event),
              qualityRating: field === 'phone_number_quality_update' ? qualityOf(str(value.event)) : null,
              messagingLimitTier: str(value.current_limit),
            });
            if (field === 'phone_number_quality_update' && str(value.current_limit)) {
              await tx
                .update(numbers)
                .set({ messagingLimitTier: str(value.current_limit), updatedAt: new Date() })
                .where(eq(numbers.id, n.id));
            }
            published.push({ type: 'number.health_updated', data: { number_id: n.id, source: field } });
          }
        } else {
          const event = templateEvent(field, wabaId, value);
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

const str = (v: unknown): string | null =>
  typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null;

/** `phone_number_quality_update` events name a direction, not a colour; record what they imply. */
function qualityOf(event: string | null): string | null {
  if (event === 'FLAGGED' || event === 'DOWNGRADE') return 'RED';
  if (event === 'UNFLAGGED' || event === 'UPGRADE') return 'GREEN';
  return null;
}

function templateEvent(field: string, wabaId: string, v: Json): DomainEvent | undefined {
  const base = {
    waba_id: wabaId,
    template_id: str(v.message_template_id),
    name: str(v.message_template_name),
    language: str(v.message_template_language),
  };
  if (field === 'template_category_update') {
    return {
      type: 'template.category_updated',
      data: {
        ...base,
        previous_category: str(v.previous_category),
        new_category: str(v.new_category),
        correct_category: str(v.correct_category),
      },
    };
  }
  if (field === 'message_template_quality_update') {
    return {
      type: 'template.quality_updated',
      data: {
        ...base,
        previous_quality: str(v.previous_quality_score),
        new_quality: str(v.new_quality_score),
      },
    };
  }
  if (field === 'message_template_status_update') {
    const reason = str(v.reason);
    return {
      type: 'template.status_updated',
      data: { ...base, status: str(v.event) ?? 'UNKNOWN', reason: reason === 'NONE' ? null : reason },
    };
  }
  // Component edits, name and capability notices are recorded for admins; no client acts on them live.
  return undefined;
}
