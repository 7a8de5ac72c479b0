import type {
  CreateTemplateBody,
  Template,
  TemplateParams,
  TemplateSyncResult,
  VariableMapping,
} from '@openwaba/contracts';
import type { AuthContext } from '../auth/context.ts';
import type { PhoneView } from '../contacts/phone-privacy.ts';
import type { Db, Tx } from '../db/client.ts';
import type { OnCommit } from '../db/tx.ts';
import { applyMetaUpdate } from './apply-meta-update.ts';
import { deleteTemplate } from './delete-template.ts';
import type { TemplateDeps } from './deps.ts';
import { categoryHistory, findTemplates, getTemplate } from './find-templates.ts';
import { reevaluatePolicy, unquarantine } from './quarantine.ts';
import { renderMessages, type StoredMessage } from './render-messages.ts';
import { renderPreview } from './render-preview.ts';
import type { TemplateFilters } from './repo.ts';
import { submitTemplate } from './submit-template.ts';
import { orgsToSync, syncTemplates } from './sync-templates.ts';

/**
 * The template catalogue: synced from Meta per WABA, guarded by quarantine. A template whose
 * category changes (seen by sync or webhook, or announced) or whose category the organisation's
 * campaign policy does not allow is quarantined at once and stays so until an admin releases it.
 *
 * One use case per file: `sync-templates.ts`, `apply-meta-update.ts` (webhook notices),
 * `find-templates.ts` (list, one, category history), `quarantine.ts` (quarantine, release, policy
 * re-evaluation), `render-preview.ts`, `render-messages.ts` (sent template messages as the customer
 * saw them, rendered by `render.ts`), `submit-template.ts`, `delete-template.ts`; the campaign
 * policy in `policy.ts`; every write in `repo.ts`.
 */
export function createTemplateService(deps: TemplateDeps) {
  return {
    sync: (orgId: string, o?: { wabaId?: string; pageSize?: number }): Promise<TemplateSyncResult> =>
      syncTemplates(deps, orgId, o),
    orgsToSync: () => orgsToSync(deps),
    applyMetaUpdate: (
      tx: Tx,
      orgId: string,
      field: string,
      wabaId: string,
      v: Record<string, unknown>,
      onCommit: OnCommit,
    ) => applyMetaUpdate(deps, tx, orgId, field, wabaId, v, onCommit),
    list: (
      ctx: Pick<AuthContext, 'orgId'>,
      q: TemplateFilters & { usable?: 'true' | 'false' },
    ): Promise<Template[]> => findTemplates(deps, ctx, q),
    get: (ctx: Pick<AuthContext, 'orgId'>, id: string, tx?: Db | Tx) => getTemplate(deps, ctx, id, tx),
    history: (ctx: Pick<AuthContext, 'orgId'>, id: string) => categoryHistory(deps, ctx, id),
    unquarantine: (ctx: AuthContext, id: string) => unquarantine(deps, ctx, id),
    reevaluatePolicy: (orgId: string) => reevaluatePolicy(deps, orgId),
    render: (
      ctx: Pick<AuthContext, 'orgId'>,
      id: string,
      body: { params: TemplateParams } | { contact_id: string; mapping: VariableMapping },
      view: Pick<PhoneView, 'phone'>,
    ) => renderPreview(deps, ctx, id, body, view),
    /** Template messages as the customer saw them (null for others, or when the template is gone). */
    renderMessages: (orgId: string, messages: StoredMessage[]) => renderMessages(deps, orgId, messages),
    create: (ctx: AuthContext, body: CreateTemplateBody) => submitTemplate(deps, ctx, body),
    remove: (ctx: AuthContext, id: string) => deleteTemplate(deps, ctx, id),
  };
}
export type TemplateService = ReturnType<typeof createTemplateService>;
