import {
  renderTemplate,
  resolveTemplateParams,
  type TemplateDef,
  type TemplateParams,
  type VariableMapping,
} from '@openwaba/contracts';
import type { AuthContext } from '../auth/context.ts';
import type { PhoneView } from '../contacts/phone-privacy.ts';
import { notFound } from '../lib/errors.ts';
import { collectLinks } from '../lib/url-guard.ts';
import type { TemplateDeps } from './deps.ts';
import { templateOf } from './find-templates.ts';

type Json = Record<string, unknown>;

/** The message as the customer would see it, with given values or a contact's. */
export async function renderPreview(
  deps: Pick<TemplateDeps, 'db' | 'database' | 'urlGuard'>,
  ctx: Pick<AuthContext, 'orgId'>,
  id: string,
  body: { params: TemplateParams } | { contact_id: string; mapping: VariableMapping },
  /** How the caller may see phones: a preview must not show an agent a phone the org hides. */
  view: Pick<PhoneView, 'phone'>,
) {
  const r = await templateOf(deps.db, ctx.orgId, id);
  let params: TemplateParams;
  let missing: { key: string; source: string }[] = [];
  if ('params' in body) params = body.params;
  else {
    const [c] = await deps.database.query<{ name: string | null; phone: string; fields: Json | null }>(
      'select name, phone, fields from contacts where org_id = $1 and id = $2',
      [ctx.orgId, body.contact_id],
    );
    if (!c) throw notFound('Contact');
    const resolved = resolveTemplateParams(body.mapping, {
      name: c.name,
      phone: view.phone(c.phone),
      fields: c.fields ?? {},
    });
    params = resolved.params;
    missing = resolved.missing;
  }
  // A preview stores nothing, but its media link is a URL given to us: the same answer as a send.
  await deps.urlGuard.assertLinks(collectLinks(params, ['params']), { onLookupFailure: 'accept' });
  const def: TemplateDef = {
    name: r.name,
    language: r.language,
    parameter_format: r.parameterFormat === 'NAMED' ? 'NAMED' : 'POSITIONAL',
    components: r.components as TemplateDef['components'],
  };
  const out = renderTemplate(def, params);
  return out.ok
    ? { ok: true as const, rendered: out.rendered, components: out.components, missing }
    : { ok: false as const, problems: out.problems, missing };
}
