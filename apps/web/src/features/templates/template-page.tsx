import {
  type Contact,
  type Template,
  type TemplateDef,
  type TemplateVariable,
  templateVariables,
  type VariableMapping,
} from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import {
  Alert,
  BackLink,
  Badge,
  Button,
  Card,
  ConfirmPanel,
  Field,
  Input,
  Select,
} from '../../components/ui.tsx';
import { contactKeys } from '../contacts/keys.ts';
import { useFields } from '../contacts/queries.ts';
import { templateKeys } from './keys.ts';
import { statusTone, useTemplate, useTemplateHistory, useTemplateRights, words } from './queries.ts';
import { type PreviewValues, previewTemplate, TemplateBubble } from './template-bubble.tsx';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export const defOf = (t: Template): TemplateDef => ({
  name: t.name,
  language: t.language,
  category: t.category,
  parameter_format: t.parameter_format,
  components: t.components as TemplateDef['components'],
});

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
function sourceWords(source: string) {
  if (source === 'contact name') return 'their name';
  if (source === 'contact phone') return 'their phone';
  if (source.startsWith('contact field.')) return `their field “${source.slice('contact field.'.length)}”`;
  return source === 'fixed text' ? 'the fixed text' : source;
}

export const mappingKey = (v: TemplateVariable) =>
  `${v.component === 'button' ? 'buttons' : v.component}.${v.key}`;

export function TemplatePage() {
  const { id = '' } = useParams();
  const template = useTemplate(id);
  const history = useTemplateHistory(id);
  const { canManage } = useTemplateRights();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: templateKeys.all });
  const release = useMutation({ mutationFn: () => api.templates.unquarantine(id), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: () => api.templates.remove(id),
    onSuccess: async () => {
      await refresh();
      const t = template.data;
      navigate('/templates', {
        state: { notice: `Deleted ${t?.name} (${t?.language}) at Meta; it stays listed as inactive.` },
      });
    },
  });

  if (template.error) {
    return (
      <div className="space-y-3">
        <BackLink to="/templates">Templates</BackLink>
        <Alert>{errorMessage(template.error)}</Alert>
      </div>
    );
  }
  const t = template.data;
  if (!t) return <p className="text-sm text-slate-500">Loading template…</p>;

  return (
    <div className="space-y-5">
      <div>
        <BackLink to="/templates">Templates</BackLink>
        <div className="mt-2 flex flex-wrap items-center gap-2">
          <h1 className="text-xl font-semibold text-slate-900">{t.name}</h1>
          <span className="text-sm text-slate-500">{t.language}</span>
          <Badge tone={statusTone(t)}>{words(t.status)}</Badge>
          <Badge tone="slate">{words(t.category)}</Badge>
          {!t.active && <Badge tone="slate">Inactive</Badge>}
          {t.quarantined && (
            <Badge tone="red" className="font-semibold">
              <Icon name="alert" className="h-3.5 w-3.5" />
              Quarantined
            </Badge>
          )}
          {t.usable_in_campaigns && <Badge tone="green">Usable in campaigns</Badge>}
          {canManage && t.active && (
            <Button variant="danger" className="ml-auto" onClick={() => setConfirmDelete(true)}>
              Delete
            </Button>
          )}
        </div>
      </div>

      {confirmDelete && (
        <ConfirmPanel
          id="delete-title"
          title={`Delete ${t.name} (${t.language}) at Meta?`}
          confirmLabel="Delete at Meta"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : undefined}
          onConfirm={() => remove.mutate()}
          onCancel={() => setConfirmDelete(false)}
        >
          Meta removes it from your WhatsApp account and it can no longer be sent; the name cannot be reused
          for 30 days. It stays listed here as inactive, with its history.
        </ConfirmPanel>
      )}

      {t.quarantined && (
        <section
          aria-label="Quarantine"
          className="rounded-lg border-2 border-red-300 bg-red-50 p-4 text-sm text-red-900"
          data-testid="quarantine"
        >
          <h2 className="flex items-center gap-2 font-semibold">
            <Icon name="alert" className="h-5 w-5" />
            Quarantined: kept out of campaigns
          </h2>
          <p className="mt-1">{t.quarantine_reason ?? 'Its category changed.'}</p>
          <p className="mt-1 text-red-800/80">
            Since {when(t.quarantined_at)}. Scheduled campaigns using it are blocked and running ones pause
            until it is released. Check the message still fits its category before releasing it.
          </p>
          {canManage ? (
            <div className="mt-3 space-y-2">
              <Button variant="secondary" disabled={release.isPending} onClick={() => release.mutate()}>
                {release.isPending ? 'Releasing…' : 'Release from quarantine'}
              </Button>
              {release.error && (
                <Alert>
                  Not released: {errorMessage(release.error)}
                  {release.error instanceof ApiError && release.error.status === 409 && (
                    <>
                      {' '}
                      <Link to="/settings/organisation" className="font-medium underline">
                        Open the campaign policy
                      </Link>
                    </>
                  )}
                </Alert>
              )}
            </div>
          ) : (
            <p className="mt-2 text-red-800/80">A manager or admin can release it.</p>
          )}
        </section>
      )}
      {release.isSuccess && !t.quarantined && (
        <Alert kind="success">Released: campaigns can use it again.</Alert>
      )}
      {t.rejected_reason && t.rejected_reason !== 'NONE' && (
        <Alert>Meta rejected it: {words(t.rejected_reason)}</Alert>
      )}

      <div className="grid gap-5 lg:grid-cols-[3fr_2fr]">
        <ContactPreview template={t} />
        <div className="space-y-5">
          <Card
            title="Category history"
            description="Every category change Meta made, and how we learnt of it."
          >
            {history.data?.data.length ? (
              <ol className="space-y-2 text-sm" aria-label="Category history">
                {history.data.data.map((h) => (
                  <li
                    key={`${h.created_at}-${h.to_category}`}
                    className="flex flex-wrap items-baseline gap-x-2"
                  >
                    <span className="font-medium text-slate-900">
                      {h.from_category ? `${words(h.from_category)} → ` : ''}
                      {words(h.to_category)}
                    </span>
                    <span className="text-slate-600">
                      {h.source === 'announcement'
                        ? `announced by Meta${h.effective_at ? `, effective ${when(h.effective_at)}` : ''}`
                        : h.source === 'webhook'
                          ? 'reported by Meta’s webhook'
                          : 'found by a sync'}
                    </span>
                    <time className="text-xs text-slate-500" dateTime={h.created_at}>
                      {when(h.created_at)}
                    </time>
                  </li>
                ))}
              </ol>
            ) : (
              <p className="text-sm text-slate-600">
                {history.isPending
                  ? 'Loading…'
                  : `No category change: it has been ${words(t.category)} since it was synced.`}
              </p>
            )}
          </Card>
          <Card title="Details">
            <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm">
              {[
                ['Quality', words(t.quality_score)],
                ['Variables', t.parameter_format === 'NAMED' ? 'Named' : 'Numbered'],
                ['Meta template id', t.meta_id],
                ['WhatsApp Business Account', t.waba_id],
                ['Last synced', when(t.last_synced_at)],
                ['Usable in campaigns', t.usable_in_campaigns ? 'Yes' : 'No'],
              ].map(([label, value]) => (
                <div key={label}>
                  <dt className="text-xs text-slate-500">{label}</dt>
                  <dd className="break-all text-slate-800">{value}</dd>
                </div>
              ))}
            </dl>
          </Card>
        </div>
      </div>
    </div>
  );
}

/** Where one variable's value comes from: `fixed`, `name`, `phone` or `field.<key>`. */
interface Source {
  from: string;
  text: string;
}

function ContactPreview({ template }: { template: Template }) {
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
