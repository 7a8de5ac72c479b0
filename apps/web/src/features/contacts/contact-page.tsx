import type { Contact, CustomField, FieldValue } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, BackLink, Badge, Button, Card, Field, Input, Select } from '../../components/ui.tsx';
import { addressOf } from '../inbox/format.ts';
import { ContactTimeline } from './contact-timeline.tsx';
import { contactKeys, tagKeys } from './keys.ts';
import { ConfirmDialog, ConsentBadge, dateTime, SOURCE_LABEL, TagChip } from './parts.tsx';
import { ContactPrivacyActions } from './privacy-actions.tsx';
import { useContactRights, useFields, usePhonesHidden, useTags } from './queries.ts';

export function ContactPage() {
  const { id = '' } = useParams();
  const contact = useQuery({ queryKey: contactKeys.one(id), queryFn: () => api.contacts.get(id) });
  return (
    <div className="space-y-4">
      <BackLink to="/contacts">Contacts</BackLink>
      {contact.error && <Alert>{errorMessage(contact.error)}</Alert>}
      {contact.isPending && (
        <p className="text-sm text-slate-500" role="status">
          Loading…
        </p>
      )}
      {contact.data && <ContactView contact={contact.data} />}
    </div>
  );
}

function ContactView({ contact }: { contact: Contact }) {
  const { canWrite, canManage } = useContactRights();
  const phonesHidden = usePhonesHidden();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const remove = useMutation({
    mutationFn: () => api.contacts.remove(contact.id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      navigate('/contacts');
    },
  });
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">{contact.name || addressOf(contact)}</h1>
          <p
            className="text-sm text-slate-600"
            title={phonesHidden ? "Your organisation hides customers' numbers" : undefined}
          >
            {addressOf(contact)}
            {contact.country && ` · ${contact.country}`} · added{' '}
            {new Date(contact.created_at).toLocaleDateString()} ·{' '}
            <span data-testid="contact-last-message">
              {contact.last_message_at
                ? `last message ${dateTime(contact.last_message_at)}`
                : 'no message yet'}
            </span>
          </p>
          {(contact.username || contact.user_id) && (
            <p className="text-xs text-slate-500" data-testid="contact-whatsapp-ids">
              {contact.username && contact.phone && `@${contact.username} · `}
              {contact.user_id && (
                <span title="WhatsApp business-scoped user id">user id {contact.user_id}</span>
              )}
            </p>
          )}
        </div>
        <div className="flex items-center gap-2">
          <ConsentBadge state={contact.consent.state} />
          <ContactPrivacyActions contact={contact} />
          {canManage && (
            <Button variant="danger" onClick={() => setConfirmDelete(true)}>
              Delete contact
            </Button>
          )}
        </div>
      </div>
      {remove.error && <Alert>{errorMessage(remove.error)}</Alert>}
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <div className="space-y-4">
          <DetailsCard contact={contact} editable={canWrite} />
          <ConsentCard contact={contact} editable={canWrite} />
        </div>
        <ContactTimeline contactId={contact.id} />
      </div>
      <ConfirmDialog
        open={confirmDelete}
        title="Delete this contact?"
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setConfirmDelete(false)}
      >
        Their conversations and files are deleted too; their consent history is kept. To remove everything,
        consent history included, erase them instead. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}

/** A field's stored value as its input shows it. */
const asInput = (v: FieldValue | undefined): string => (v === undefined ? '' : String(v));

function FieldInput({
  field,
  id,
  value,
  disabled,
  onChange,
}: {
  field: CustomField;
  id: string;
  value: string;
  disabled: boolean;
  onChange: (v: string) => void;
}) {
  switch (field.type) {
    case 'boolean':
      return (
        <Select id={id} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          <option value="">Not set</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </Select>
      );
    case 'enum':
      return (
        <Select id={id} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          <option value="">Not set</option>
          {field.options?.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </Select>
      );
    default:
      return (
        <Input
          id={id}
          type={field.type === 'number' ? 'number' : field.type === 'date' ? 'date' : 'text'}
          step={field.type === 'number' ? 'any' : undefined}
          value={value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
}

function DetailsCard({ contact, editable }: { contact: Contact; editable: boolean }) {
  const qc = useQueryClient();
  const fields = useFields();
  const tags = useTags();
  const [name, setName] = useState(contact.name ?? '');
  const [tagIds, setTagIds] = useState(contact.tags.map((t) => t.id));
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(contact.fields).map(([k, v]) => [k, asInput(v)])),
  );
  const [saved, setSaved] = useState(false);
  const defs = fields.data?.data ?? [];
  const save = useMutation({
    mutationFn: () => {
      const changed: Record<string, FieldValue | null> = {};
      for (const f of defs) {
        const now = values[f.key] ?? '';
        if (now === asInput(contact.fields[f.key])) continue;
        changed[f.key] = now === '' ? null : f.type === 'boolean' ? now === 'true' : now;
      }
      return api.contacts.update(contact.id, {
        name: name.trim() || null,
        tag_ids: tagIds,
        ...(Object.keys(changed).length ? { fields: changed } : {}),
      });
    },
    onSuccess: (c) => {
      qc.setQueryData(contactKeys.one(contact.id), c);
      void qc.invalidateQueries({ queryKey: contactKeys.lists });
      void qc.invalidateQueries({ queryKey: contactKeys.timeline(contact.id) });
      void qc.invalidateQueries({ queryKey: tagKeys.all });
      setSaved(true);
    },
  });
  const allTags = tags.data?.data ?? [];
  const unused = allTags.filter((t) => !tagIds.includes(t.id));
  return (
    <Card title="Details">
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          save.mutate();
        }}
      >
        <Field label="Name">
          {(id) => (
            <Input id={id} value={name} disabled={!editable} onChange={(e) => setName(e.target.value)} />
          )}
        </Field>
        <div className="space-y-1">
          <span className="block text-sm font-medium text-slate-700">Tags</span>
          <div className="flex flex-wrap items-center gap-1.5">
            {tagIds.length === 0 && <span className="text-sm text-slate-500">No tags</span>}
            {tagIds.map((tid) => {
              const t = allTags.find((x) => x.id === tid) ?? contact.tags.find((x) => x.id === tid);
              if (!t) return null;
              return (
                <TagChip key={tid} tag={t}>
                  {editable && (
                    <button
                      type="button"
                      aria-label={`Remove tag ${t.name}`}
                      className="ml-0.5 text-slate-500 hover:text-slate-900"
                      onClick={() => setTagIds(tagIds.filter((x) => x !== tid))}
                    >
                      ×
                    </button>
                  )}
                </TagChip>
              );
            })}
            {editable && unused.length > 0 && (
              <Select
                aria-label="Add a tag"
                className="w-36 py-1"
                value=""
                onChange={(e) => e.target.value && setTagIds([...tagIds, e.target.value])}
              >
                <option value="">Add a tag…</option>
                {unused.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </Select>
            )}
          </div>
        </div>
        {defs.length > 0 && (
          <div className="grid gap-3 sm:grid-cols-2">
            {defs.map((f) => (
              <Field key={f.key} label={f.label}>
                {(id) => (
                  <FieldInput
                    field={f}
                    id={id}
                    value={values[f.key] ?? ''}
                    disabled={!editable}
                    onChange={(v) => setValues({ ...values, [f.key]: v })}
                  />
                )}
              </Field>
            ))}
          </div>
        )}
        {save.error && <Alert>{errorMessage(save.error)}</Alert>}
        {saved && !save.isPending && <Alert kind="success">Saved.</Alert>}
        {editable && (
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save changes'}
          </Button>
        )}
      </form>
    </Card>
  );
}

function ConsentCard({ contact, editable }: { contact: Contact; editable: boolean }) {
  const qc = useQueryClient();
  const ledger = useQuery({
    queryKey: contactKeys.consent(contact.id),
    queryFn: () => api.contacts.consent(contact.id),
  });
  const [proof, setProof] = useState('');
  const record = useMutation({
    mutationFn: (kind: 'opt_in' | 'opt_out') =>
      api.contacts.recordConsent(contact.id, {
        kind,
        source: 'manual',
        ...(proof.trim() ? { proof: proof.trim() } : {}),
      }),
    onSuccess: () => {
      setProof('');
      void qc.invalidateQueries({ queryKey: contactKeys.all });
    },
  });
  const state = ledger.data?.state ?? contact.consent.state;
  return (
    <Card
      title="Consent"
      description="Campaigns and other business-initiated messages go only to opted-in contacts; after an opt-out nothing is sent until they opt in again."
    >
      <p className="flex items-center gap-2 text-sm">
        Now: <ConsentBadge state={state} />
      </p>
      {editable && (
        <div className="mt-4 space-y-2">
          <Field
            label="Proof"
            hint="Required to opt someone in: where and how they agreed (a form link, a signed note)."
          >
            {(id) => (
              <Input
                id={id}
                value={proof}
                onChange={(e) => setProof(e.target.value)}
                placeholder="e.g. Signed the loyalty form at the shop, 12 May"
              />
            )}
          </Field>
          <div className="flex gap-2">
            <Button
              variant="secondary"
              disabled={!proof.trim() || record.isPending}
              onClick={() => record.mutate('opt_in')}
            >
              Record opt-in
            </Button>
            <Button variant="danger" disabled={record.isPending} onClick={() => record.mutate('opt_out')}>
              Record opt-out
            </Button>
          </div>
          {record.error && <Alert>{errorMessage(record.error)}</Alert>}
        </div>
      )}
      <h3 className="mt-5 text-sm font-semibold text-slate-900">Ledger</h3>
      {ledger.error && <Alert>{errorMessage(ledger.error)}</Alert>}
      {ledger.data && ledger.data.data.length === 0 && (
        <p className="mt-1 text-sm text-slate-500">No consent recorded yet: this contact is not opted in.</p>
      )}
      {ledger.data && ledger.data.data.length > 0 && (
        <ol aria-label="Consent ledger, newest first" className="mt-2 divide-y divide-slate-100 text-sm">
          {ledger.data.data.map((e) => (
            <li key={e.id} className="py-2">
              <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
                <Badge tone={e.kind === 'opt_in' ? 'green' : 'red'}>
                  {e.kind === 'opt_in' ? 'Opt-in' : 'Opt-out'}
                </Badge>
                <span className="text-slate-700">{SOURCE_LABEL[e.source] ?? e.source}</span>
                <span className="text-slate-500">
                  · {e.actor_email ?? (e.source === 'keyword' ? 'the customer' : 'the system')} ·{' '}
                  {dateTime(e.created_at)}
                </span>
              </div>
              <p className="mt-1 break-words text-slate-700">
                {e.proof ? `Proof: ${e.proof}` : <span className="text-slate-400">No proof given</span>}
              </p>
            </li>
          ))}
        </ol>
      )}
      {ledger.data?.marketing && <MarketingPreferences marketing={ledger.data.marketing} />}
    </Card>
  );
}

/**
 * The customer's stops and resumes of marketing messages, per number (Meta's user_preferences): set
 * by the customer in WhatsApp only. A stop refuses MARKETING templates from that number; utility and
 * service messages still go.
 */
function MarketingPreferences({
  marketing,
}: {
  marketing: NonNullable<Awaited<ReturnType<typeof api.contacts.consent>>['marketing']>;
}) {
  const stopped = new Set(marketing.stopped_number_ids);
  const names = new Map(marketing.events.map((e) => [e.number_id, e.number_name]));
  return (
    <section aria-label="Marketing messages">
      <h3 className="mt-5 text-sm font-semibold text-slate-900">Marketing messages</h3>
      {stopped.size === 0 ? (
        <p className="mt-1 text-sm text-slate-500">
          Receives marketing templates from every number (the customer can stop them in WhatsApp).
        </p>
      ) : (
        <p className="mt-1 text-sm text-slate-700">
          Stopped marketing messages from {[...stopped].map((id) => names.get(id) ?? id).join(', ')}:
          MARKETING templates from {stopped.size > 1 ? 'these numbers' : 'this number'} are not sent; utility
          and service messages still are.
        </p>
      )}
      {marketing.events.length > 0 && (
        <ol
          aria-label="Marketing preference history, newest first"
          className="mt-2 divide-y divide-slate-100 text-sm"
        >
          {marketing.events.map((e) => (
            <li key={e.id} className="flex flex-wrap items-center gap-x-2 gap-y-1 py-2">
              <Badge tone={e.value === 'stop' ? 'red' : 'green'}>
                {e.value === 'stop' ? 'Stopped marketing' : 'Resumed marketing'}
              </Badge>
              <span className="text-slate-700">{e.number_name}</span>
              <span className="text-slate-500">· the customer, in WhatsApp · {dateTime(e.occurred_at)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
