import type { RenderedTemplate, TemplateDef } from '@openwaba/contracts';
import type { TemplateDeps } from './deps.ts';
import { renderSentTemplate, sentTemplateOf } from './render.ts';
import { type TemplateKey, templateDefsByKeys } from './repo.ts';

/** A stored message to show: its type and content, and the WABA of the number it went through. */
export interface StoredMessage {
  type: string;
  content: unknown;
  wabaId: string | null;
}

const keyOf = (k: TemplateKey) => JSON.stringify([k.wabaId, k.name, k.language]);

/**
 * What the customer saw, for each template message of a page (null for other messages, and for a
 * template no longer in the catalogue): the page's templates are read in one statement.
 */
export async function renderMessages(
  deps: Pick<TemplateDeps, 'db'>,
  orgId: string,
  messages: StoredMessage[],
): Promise<(RenderedTemplate | null)[]> {
  const sent = messages.map((m) => {
    const t = m.wabaId ? sentTemplateOf(m.type, m.content) : undefined;
    return t && { template: t, key: { wabaId: m.wabaId!, name: t.name, language: t.language.code } };
  });
  const keys = new Map<string, TemplateKey>();
  for (const s of sent) if (s) keys.set(keyOf(s.key), s.key);
  const rows = await templateDefsByKeys(deps.db, orgId, [...keys.values()]);
  const defs = new Map(
    rows.map((r): [string, TemplateDef] => [
      keyOf(r),
      {
        name: r.name,
        language: r.language,
        parameter_format: r.parameterFormat === 'NAMED' ? 'NAMED' : 'POSITIONAL',
        components: r.components as TemplateDef['components'],
      },
    ]),
  );
  return sent.map((s) => (s ? renderSentTemplate(defs.get(keyOf(s.key)), s.template) : null));
}
