import { type Contact, type Template, templateVariables, type VariableMapping } from '@openwaba/contracts';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useDeferredValue, useMemo, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Card, Field, Input, Select } from '../../components/ui.tsx';
import { contactKeys } from '../contacts/keys.ts';
import { useFields } from '../contacts/queries.ts';
import { templateKeys } from './keys.ts';
import { type PreviewValues, previewTemplate, TemplateBubble } from './template-bubble.tsx';
import { defOf, mappingKey, sourceWords, variableLabel } from './variables.ts';

/** Where one variable's value comes from: `fixed`, `name`, `phone` or `field.<key>`. */
interface Source {
  from: string;
  text: string;
}

/** A template filled in for a chosen contact, checked by the server as a send would be. */
export function ContactPreview({ template }: { template: Template }) {
  const def = useMemo(() => defOf(template), [template]);
  // Media headers and quick-reply payloads need no per-contact text; the rest are mapped here.
  const variables = useMemo(
    () =>
      templateVariables(def).filter(
        (v) => v.kind === 'text' || v.kind === 'url_suffix' || v.kind === 'coupon_code',
      ),
    [def],
  );
  const [sources, setSources] = useState<Record<string, Source>>(() =>
    Object.fromEntries(variables.map((v) => [mappingKey(v), { from: 'fixed', text: v.example ?? '' }])),
  );
  const [contactSearch, setContactSearch] = useState('');
  const [contactId, setContactId] = useState('');
  const q = useDeferredValue(contactSearch.trim());
  const contacts = useQuery({
    queryKey: contactKeys.pick(q),
    queryFn: () => api.contacts.list({ ...(q ? { q } : {}), limit: 20 }),
    placeholderData: keepPreviousData,
  });
  const fields = useFields();
  const [picked, setPicked] = useState<Contact | null>(null);
  const contact = picked && picked.id === contactId ? picked : null;

  const mapping: VariableMapping = useMemo(
    () =>
      Object.fromEntries(
        Object.entries(sources).map(([k, s]) => [
          k,
          s.from === 'fixed' ? { fixed: s.text } : { contact: s.from },
        ]),
      ),
    [sources],
  );
  const deferredMapping = useDeferredValue(mapping);
  const server = useQuery({
    queryKey: templateKeys.render(template.id, contactId, deferredMapping),
    queryFn: () => api.templates.render(template.id, { contact_id: contactId, mapping: deferredMapping }),
    enabled: Boolean(contactId),
    placeholderData: keepPreviousData,
  });

  // What is known here already, so the bubble fills in while the server checks.
  const values: PreviewValues = {};
  for (const [k, s] of Object.entries(sources)) {
    if (s.from === 'fixed') values[k] = s.text;
    else if (contact) {
      const raw =
        s.from === 'name'
          ? contact.name
          : s.from === 'phone'
            ? contact.phone
            : contact.fields[s.from.slice('field.'.length)];
      values[k] = raw === null || raw === undefined ? undefined : String(raw);
    }
  }
  const result = contactId ? server.data : undefined;
  const rendered = result?.ok && result.rendered ? result.rendered : previewTemplate(def, values);
  const missingKeys = new Set(result?.missing.map((m) => m.key));
  const problems = (result?.problems ?? []).filter((p) => !missingKeys.has(p.path));
  const who = contact ? (contact.name ?? contact.phone) : 'This contact';

  return (
    <Card
      title="Preview"
      description="Exactly what the customer sees. Choose a contact and where each variable’s value comes from."
    >
      <div className="space-y-4">
        <div className="flex flex-wrap items-end gap-3">
          <div className="min-w-40 flex-1">
            <Field label="Find a contact">
              {(id) => (
                <Input
                  id={id}
                  type="search"
                  placeholder="Name or phone"
                  value={contactSearch}
                  onChange={(e) => setContactSearch(e.target.value)}
                />
              )}
            </Field>
          </div>
          <div className="min-w-48 flex-1">
            <Field label="Preview for">
              {(id) => (
                <Select
                  id={id}
                  value={contactId}
                  onChange={(e) => {
                    setContactId(e.target.value);
                    setPicked(contacts.data?.data.find((c) => c.id === e.target.value) ?? null);
                  }}
                >
                  <option value="">No contact (fixed values only)</option>
                  {contact && !contacts.data?.data.some((c) => c.id === contact.id) && (
                    <option value={contact.id}>{contact.name ?? contact.phone}</option>
                  )}
                  {contacts.data?.data.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name ? `${c.name} · ${c.phone}` : c.phone}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </div>
        </div>

        {variables.length > 0 ? (
          <fieldset className="space-y-2">
            <legend className="mb-1 text-sm font-medium text-slate-700">Variables</legend>
            {variables.map((v) => {
              const key = mappingKey(v);
              const s = sources[key] ?? { from: 'fixed', text: '' };
              const set = (patch: Partial<Source>) => setSources({ ...sources, [key]: { ...s, ...patch } });
              const label = variableLabel(key, def);
              const missing = result?.missing.find((m) => m.key === key);
              return (
                <div
                  key={key}
                  className="grid grid-cols-[6.5rem_1fr] items-start gap-2 sm:grid-cols-[6.5rem_11rem_1fr]"
                >
                  <span className="pt-2 text-sm font-medium text-slate-800">{label}</span>
                  <Select
                    aria-label={`${label} comes from`}
                    value={s.from}
                    onChange={(e) => set({ from: e.target.value })}
                  >
                    <option value="fixed">Fixed text</option>
                    <option value="name">Contact name</option>
                    <option value="phone">Contact phone</option>
                    {fields.data?.data.map((f) => (
                      <option key={f.key} value={`field.${f.key}`}>
                        Field: {f.label}
                      </option>
                    ))}
                  </Select>
                  <div className="col-span-2 sm:col-span-1">
                    {s.from === 'fixed' ? (
                      <Input
                        aria-label={`${label} text`}
                        value={s.text}
                        placeholder={v.example ?? ''}
                        onChange={(e) => set({ text: e.target.value })}
                      />
                    ) : (
                      <p className={`pt-2 text-sm ${missing ? 'text-red-700' : 'text-slate-600'}`}>
                        {contact ? (values[key] ?? 'no value') : 'Choose a contact'}
                      </p>
                    )}
                  </div>
                </div>
              );
            })}
          </fieldset>
        ) : (
          <p className="text-sm text-slate-600">
            This template has no variables: every customer sees the same message.
          </p>
        )}

        <TemplateBubble rendered={rendered} />

        {contactId && result && (
          <div aria-live="polite" className="space-y-2" data-testid="preview-check">
            {result.ok && result.missing.length === 0 ? (
              <Alert kind="success">Ready to send to {who}: every variable has a value.</Alert>
            ) : (
              <Alert>
                <p className="font-medium">{who} cannot receive it like this:</p>
                <ul className="mt-1 list-disc pl-5">
                  {result.missing.map((m) => (
                    <li key={m.key}>
                      No value for {variableLabel(m.key, def)}: {sourceWords(m.source)} is empty
                    </li>
                  ))}
                  {problems.map((p) => (
                    <li key={`${p.path}-${p.message}`}>
                      {p.path.startsWith('buttons') ||
                      p.path.startsWith('body') ||
                      p.path.startsWith('header')
                        ? `${variableLabel(p.path.split('.').slice(0, 2).join('.'), def)}: `
                        : ''}
                      {p.message}
                    </li>
                  ))}
                </ul>
              </Alert>
            )}
          </div>
        )}
        {server.error && <Alert>{errorMessage(server.error)}</Alert>}
      </div>
    </Card>
  );
}
