import type { Tx } from '../db/client.ts';
import type { OnCommit } from '../db/tx.ts';
import type { TemplateDeps } from './deps.ts';
import { quarantine } from './quarantine.ts';
import { findTemplateByMetaId, recordCategoryChange, updateTemplate } from './repo.ts';

type Json = Record<string, unknown>;

/** Statuses Meta gives a template it will no longer send. */
const UNSENDABLE = new Set(['PAUSED', 'DISABLED', 'REJECTED', 'PENDING_DELETION', 'DELETED']);

const str = (x: unknown) => (typeof x === 'string' && x ? x : undefined);

/**
 * A template notice from Meta's webhook, in the inbound transaction: status changes apply,
 * category changes (done or announced) quarantine; an unknown template asks for a sync.
 * Returns true when the organisation's catalogue should be synced.
 */
export async function applyMetaUpdate(
  deps: Pick<TemplateDeps, 'notifications' | 'events' | 'domainEvents'>,
  tx: Tx,
  orgId: string,
  field: string,
  wabaId: string,
  v: Json,
  onCommit: OnCommit,
): Promise<boolean> {
  const metaId = v.message_template_id === undefined ? '' : String(v.message_template_id);
  const r = await findTemplateByMetaId(tx, orgId, wabaId, metaId);
  if (!r) return field === 'message_template_status_update' || field === 'template_category_update';
  if (field === 'message_template_status_update') {
    const status = str(v.event);
    if (!status) return false;
    const reason = str(v.reason);
    const category = str(v.message_template_category);
    await updateTemplate(tx, orgId, r.id, {
      status,
      rejectedReason: reason && reason !== 'NONE' ? reason : null,
      updatedAt: new Date(),
    });
    if (UNSENDABLE.has(status) && status !== r.status) {
      const why = `Meta set template “${r.name}” (${r.language}) to ${status}${reason && reason !== 'NONE' ? `: ${reason}` : ''}`;
      deps.domainEvents.emit(onCommit, 'template.unusable', { orgId, templateId: r.id, why });
    }
    if (category && category !== r.category) {
      await recordCategoryChange(tx, orgId, {
        templateId: r.id,
        from: r.category,
        to: category,
        source: 'webhook',
      });
      await updateTemplate(tx, orgId, r.id, { category });
      await quarantine(deps, tx, r, `Meta changed its category from ${r.category} to ${category}`, onCommit);
    }
    return false;
  }
  if (field === 'template_category_update') {
    const next = str(v.new_category);
    const announced = str(v.correct_category);
    const ts = Number(v.category_update_timestamp);
    if (announced && !str(v.previous_category)) {
      // Meta announces a change that takes effect later: stop campaigns now, not when it lands.
      await recordCategoryChange(tx, orgId, {
        templateId: r.id,
        from: r.category,
        to: announced,
        source: 'announcement',
        effectiveAt: Number.isFinite(ts) && ts > 0 ? new Date(ts * 1000) : undefined,
      });
      await quarantine(
        deps,
        tx,
        r,
        `Meta announced its category will change from ${r.category} to ${announced}`,
        onCommit,
      );
      return false;
    }
    if (next && next !== r.category) {
      await recordCategoryChange(tx, orgId, {
        templateId: r.id,
        from: r.category,
        to: next,
        source: 'webhook',
      });
      await updateTemplate(tx, orgId, r.id, { category: next, updatedAt: new Date() });
      await quarantine(deps, tx, r, `Meta changed its category from ${r.category} to ${next}`, onCommit);
    }
    return false;
  }
  if (field === 'message_template_quality_update') {
    const q = str(v.new_quality_score);
    if (q) await updateTemplate(tx, orgId, r.id, { qualityScore: q, updatedAt: new Date() });
  }
  return false;
}
