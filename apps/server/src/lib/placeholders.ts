/**
 * What placeholders read: the contact (name, phone, custom fields) and, in automation, the flow's
 * variables. Without `vars` (quick replies), `{{vars.…}}` is not a placeholder and stays as written.
 */
export interface PlaceholderScope {
  contact: { name: string | null; phone: string | null; fields: Record<string, unknown> };
  vars?: Record<string, string>;
}

/** `{{contact.name}}`, `{{contact.phone}}`, `{{contact.field.<key>}}`, `{{vars.<name>}}` (spaces allowed inside the braces). */
const PLACEHOLDER = /\{\{\s*(contact\.(?:name|phone|field\.[a-z0-9_]+)|vars\.[a-z0-9_]+)\s*\}\}/g;

/**
 * Fills a text's placeholders (quick replies, automation). One with no value becomes empty and is
 * named in `missing` (the agent sees what to type; a run's log shows it).
 *
 * @example fill('Hi {{contact.name}}, order {{vars.order}}', { contact: { name: 'Ana', phone: null, fields: {} }, vars: { order: '42' } })
 * // { text: 'Hi Ana, order 42', missing: [] }
 */
export function fill(text: string, scope: PlaceholderScope): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(PLACEHOLDER, (whole, key: string) => {
    if (key.startsWith('vars.') && !scope.vars) return whole;
    const raw = key.startsWith('vars.')
      ? scope.vars?.[key.slice('vars.'.length)]
      : key === 'contact.name'
        ? scope.contact.name
        : key === 'contact.phone'
          ? scope.contact.phone
          : scope.contact.fields[key.slice('contact.field.'.length)];
    if (raw === null || raw === undefined || raw === '') {
      missing.push(whole.replace(/\s+/g, ''));
      return '';
    }
    return String(raw);
  });
  return { text: out.replace(/ {2,}/g, ' ').trim(), missing };
}

/** The placeholders a text uses, as `contact.field.city` / `vars.order` (for validation). */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}
