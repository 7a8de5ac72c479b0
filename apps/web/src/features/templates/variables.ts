import type { Template, TemplateDef, TemplateVariable } from '@openwaba/contracts';

/** A stored template as the definition the shared renderer and variable list read. */
export const defOf = (t: Template): TemplateDef => ({
  name: t.name,
  language: t.language,
  category: t.category,
  parameter_format: t.parameter_format,
  components: t.components as TemplateDef['components'],
});

/** Where a variable's value goes in a send's mapping: `body.1`, `header.image`, `buttons.0`. */
export const mappingKey = (v: TemplateVariable) =>
  `${v.component === 'button' ? 'buttons' : v.component}.${v.key}`;

/** `body.2` → “Body {{2}}”, `buttons.0` → “Link 1”: how a person names the variable. */
export function variableLabel(key: string, def?: TemplateDef) {
  const [part, name] = key.split('.') as [string, string];
  if (part === 'buttons') {
    const b = def?.components.find((c) => c.type.toUpperCase() === 'BUTTONS')?.buttons?.[Number(name)];
    if (b?.text) return `${b.type.toUpperCase() === 'URL' ? 'Link' : 'Button'} “${b.text}”`;
    return `Button ${Number(name) + 1}`;
  }
  if (part === 'header' && ['image', 'video', 'document'].includes(name)) return `Header ${name}`;
  return `${part === 'header' ? 'Header' : 'Body'} {{${name}}}`;
}

/** The server's `contact field.city` → “their field city”. */
export function sourceWords(source: string) {
  if (source === 'contact name') return 'their name';
  if (source === 'contact phone') return 'their phone';
  if (source.startsWith('contact field.')) return `their field “${source.slice('contact field.'.length)}”`;
  return source === 'fixed text' ? 'the fixed text' : source;
}
