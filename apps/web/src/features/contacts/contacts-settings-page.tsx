import { type CustomField, FIELD_TYPES, type FieldType, type Tag } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Table, Td, Tr } from '../../components/table.tsx';
import { Alert, Button, Card, Field, Input, Select } from '../../components/ui.tsx';
import { contactKeys, fieldKeys, tagKeys } from './keys.ts';
import { ConfirmDialog, TagChip } from './parts.tsx';
import { useContactRights, useFields, useTags } from './queries.ts';

/** Settings → Contacts: tags, custom field definitions and the consent keywords. */
export function ContactsSettingsPage() {
  const { canManage } = useContactRights();
  return (
    <div className="max-w-3xl space-y-6">
      {!canManage && (
        <Alert kind="info">
          Only managers, admins and owners change these settings; you can look at them.
        </Alert>
      )}
      <TagsCard editable={canManage} />
      <FieldsCard editable={canManage} />
      <KeywordsCard editable={canManage} />
    </div>
  );
}

const PALETTE = ['#25d366', '#0ea5e9', '#6366f1', '#f59e0b', '#ef4444', '#64748b'];

function TagRow({ tag, editable, onDelete }: { tag: Tag; editable: boolean; onDelete: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(tag.name);
  const [color, setColor] = useState(tag.color ?? '#64748b');
  const update = useMutation({
    mutationFn: () =>
      api.tags.update(tag.id, {
        ...(name.trim() !== tag.name ? { name: name.trim() } : {}),
        ...(color !== tag.color ? { color } : {}),
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: tagKeys.all });
      void qc.invalidateQueries({ queryKey: contactKeys.all });
    },
  });
  const dirty = name.trim() !== tag.name || color !== (tag.color ?? '#64748b');
  return (
    <li className="py-2">
      <div className="flex flex-wrap items-center gap-2">
        {editable ? (
          <>
            <input
              type="color"
              aria-label={`Colour of ${tag.name}`}
              value={color}
              onChange={(e) => setColor(e.target.value)}
              className="h-8 w-10 cursor-pointer rounded border border-slate-300"
            />
            <Input
              aria-label={`Name of ${tag.name}`}
              className="w-48 py-1.5"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </>
        ) : (
          <TagChip tag={tag} />
        )}
        <span className="text-xs text-slate-500">
          {tag.contact_count} contact{tag.contact_count === 1 ? '' : 's'}
        </span>
        {editable && (
          <span className="ml-auto flex gap-1">
            <Button
              variant="secondary"
              disabled={!dirty || !name.trim() || update.isPending}
              onClick={() => update.mutate()}
            >
              Save
            </Button>
            <Button variant="ghost" onClick={onDelete} aria-label={`Delete tag ${tag.name}`}>
              Delete
            </Button>
          </span>
        )}
      </div>
      {update.error && (
        <div className="mt-1">
          <Alert>{errorMessage(update.error)}</Alert>
        </div>
      )}
    </li>
  );
}

function TagsCard({ editable }: { editable: boolean }) {
  const qc = useQueryClient();
  const tags = useTags();
  const [name, setName] = useState('');
  const [color, setColor] = useState(PALETTE[0] ?? '#25d366');
  const [doomed, setDoomed] = useState<Tag | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: tagKeys.all });
    void qc.invalidateQueries({ queryKey: contactKeys.all });
  };
  const create = useMutation({
    mutationFn: () => api.tags.create({ name: name.trim(), color }),
    onSuccess: () => {
      setName('');
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.tags.remove(id),
    onSuccess: () => {
      setDoomed(null);
      refresh();
    },
  });
  const list = tags.data?.data ?? [];
  return (
    <Card title="Tags" description="Label contacts to filter them, build segments and target campaigns.">
      {tags.error && <Alert>{errorMessage(tags.error)}</Alert>}
      {list.length === 0 && tags.isSuccess && <p className="text-sm text-slate-500">No tags yet.</p>}
      <ul className="divide-y divide-slate-100">
        {list.map((t) => (
          <TagRow
            key={`${t.id}-${t.name}-${t.color}`}
            tag={t}
            editable={editable}
            onDelete={() => setDoomed(t)}
          />
        ))}
      </ul>
      {editable && (
        <form
          className="mt-4 flex flex-wrap items-end gap-2 border-t border-slate-100 pt-4"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <input
            type="color"
            aria-label="Colour of the new tag"
            value={color}
            onChange={(e) => setColor(e.target.value)}
            className="h-9 w-10 cursor-pointer rounded border border-slate-300"
          />
          <div className="w-56">
            <Field label="New tag">
              {(id) => (
                <Input id={id} value={name} onChange={(e) => setName(e.target.value)} placeholder="VIP" />
              )}
            </Field>
          </div>
          <Button type="submit" disabled={!name.trim() || create.isPending}>
            Add tag
          </Button>
        </form>
      )}
      {(create.error ?? remove.error) && (
        <div className="mt-2">
          <Alert>{errorMessage(create.error ?? remove.error)}</Alert>
        </div>
      )}
      <ConfirmDialog
        open={doomed !== null}
        title={`Delete the tag “${doomed?.name ?? ''}”?`}
        confirmLabel="Delete tag"
        danger
        busy={remove.isPending}
        onConfirm={() => doomed && remove.mutate(doomed.id)}
        onCancel={() => setDoomed(null)}
      >
        {doomed?.contact_count ?? 0} contact{doomed?.contact_count === 1 ? '' : 's'} lose it. The contacts
        themselves stay.
      </ConfirmDialog>
    </Card>
  );
}

const TYPE_LABEL: Record<FieldType, string> = {
  text: 'Text',
  number: 'Number',
  date: 'Date',
  boolean: 'Yes / no',
  enum: 'One of a list',
};
const splitOptions = (s: string) =>
  s
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);

function FieldRow({
  field,
  editable,
  onDelete,
}: {
  field: CustomField;
  editable: boolean;
  onDelete: () => void;
}) {
  const qc = useQueryClient();
  const [label, setLabel] = useState(field.label);
  const [options, setOptions] = useState(field.options?.join(', ') ?? '');
  const update = useMutation({
    mutationFn: () =>
      api.fields.update(field.id, {
        ...(label.trim() !== field.label ? { label: label.trim() } : {}),
        ...(field.type === 'enum' && options !== (field.options?.join(', ') ?? '')
          ? { options: splitOptions(options) }
          : {}),
      }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: fieldKeys.all }),
  });
  const dirty = label.trim() !== field.label || options !== (field.options?.join(', ') ?? '');
  return (
    <Tr>
      <Td className="font-mono text-xs leading-8">{field.key}</Td>
      <Td>
        {editable ? (
          <Input
            aria-label={`Label of ${field.key}`}
            className="py-1.5"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
        ) : (
          field.label
        )}
      </Td>
      <Td className="leading-8">{TYPE_LABEL[field.type]}</Td>
      <Td>
        {field.type === 'enum' &&
          (editable ? (
            <Input
              aria-label={`Options of ${field.key}`}
              className="py-1.5"
              value={options}
              onChange={(e) => setOptions(e.target.value)}
            />
          ) : (
            field.options?.join(', ')
          ))}
        {update.error && (
          <p className="mt-1 text-xs text-red-700" role="alert">
            {errorMessage(update.error)}
          </p>
        )}
      </Td>
      {editable && (
        <Td className="whitespace-nowrap text-right">
          <Button variant="secondary" disabled={!dirty || update.isPending} onClick={() => update.mutate()}>
            Save
          </Button>
          <Button variant="ghost" onClick={onDelete} aria-label={`Delete field ${field.key}`}>
            Delete
          </Button>
        </Td>
      )}
    </Tr>
  );
}

function FieldsCard({ editable }: { editable: boolean }) {
  const qc = useQueryClient();
  const fields = useFields();
  const [key, setKey] = useState('');
  const [label, setLabel] = useState('');
  const [type, setType] = useState<FieldType>('text');
  const [options, setOptions] = useState('');
  const [doomed, setDoomed] = useState<CustomField | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api.fields.create({
        key: key.trim(),
        label: label.trim(),
        type,
        ...(type === 'enum' ? { options: splitOptions(options) } : {}),
      }),
    onSuccess: () => {
      setKey('');
      setLabel('');
      setOptions('');
      void qc.invalidateQueries({ queryKey: fieldKeys.all });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.fields.remove(id),
    onSuccess: () => {
      setDoomed(null);
      void qc.invalidateQueries({ queryKey: fieldKeys.all });
      void qc.invalidateQueries({ queryKey: contactKeys.all });
    },
  });
  const list = fields.data?.data ?? [];
  return (
    <Card
      title="Custom fields"
      description="Extra facts per contact, typed so filters and imports can check them. The key and type are fixed once created."
    >
      {fields.error && <Alert>{errorMessage(fields.error)}</Alert>}
      <Table
        caption="Custom fields"
        columns={[
          { header: 'Key' },
          { header: 'Label' },
          { header: 'Type' },
          { header: 'Options' },
          ...(editable ? [{ header: 'Actions', headerHidden: true }] : []),
        ]}
        rows={list}
        rowKey={(f) => f.id}
        renderRow={(f) => (
          <FieldRow
            key={`${f.id}-${f.updated_at}`}
            field={f}
            editable={editable}
            onDelete={() => setDoomed(f)}
          />
        )}
        status={fields.status}
        empty={<p className="text-sm text-slate-500">No custom fields yet.</p>}
      />
      {editable && (
        <form
          className="mt-4 grid gap-3 border-t border-slate-100 pt-4 sm:grid-cols-2"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Field label="Key" hint="a-z, 0-9 and _; used in imports, filters and the API">
            {(id) => (
              <Input id={id} value={key} onChange={(e) => setKey(e.target.value)} placeholder="plan" />
            )}
          </Field>
          <Field label="Label">
            {(id) => (
              <Input id={id} value={label} onChange={(e) => setLabel(e.target.value)} placeholder="Plan" />
            )}
          </Field>
          <Field label="Type">
            {(id) => (
              <Select id={id} value={type} onChange={(e) => setType(e.target.value as FieldType)}>
                {FIELD_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {TYPE_LABEL[t]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {type === 'enum' && (
            <Field label="Options" hint="Separated by commas">
              {(id) => (
                <Input
                  id={id}
                  value={options}
                  onChange={(e) => setOptions(e.target.value)}
                  placeholder="free, pro"
                />
              )}
            </Field>
          )}
          <div className="sm:col-span-2">
            <Button type="submit" disabled={!key.trim() || !label.trim() || create.isPending}>
              Add field
            </Button>
          </div>
        </form>
      )}
      {(create.error ?? remove.error) && (
        <div className="mt-2">
          <Alert>{errorMessage(create.error ?? remove.error)}</Alert>
        </div>
      )}
      <ConfirmDialog
        open={doomed !== null}
        title={`Delete the field “${doomed?.label ?? ''}”?`}
        confirmLabel="Delete field"
        danger
        busy={remove.isPending}
        onConfirm={() => doomed && remove.mutate(doomed.id)}
        onCancel={() => setDoomed(null)}
      >
        Every contact's value of <code>{doomed?.key}</code> is deleted with it. This cannot be undone.
      </ConfirmDialog>
    </Card>
  );
}

const toLines = (l: string[]) => l.join('\n');
const fromLines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((k) => k.trim())
    .filter(Boolean);

function KeywordsCard({ editable }: { editable: boolean }) {
  const settings = useQuery({ queryKey: contactKeys.settings, queryFn: () => api.contacts.settings() });
  return (
    <Card
      title="Opt-out and opt-in keywords"
      description="A customer whose whole message is one of these words is opted out (or back in) at once. Case, accents and punctuation are ignored; “stop please” is not a keyword."
    >
      {settings.error && <Alert>{errorMessage(settings.error)}</Alert>}
      {settings.data && <KeywordsForm initial={settings.data} editable={editable} />}
    </Card>
  );
}

function KeywordsForm({
  initial,
  editable,
}: {
  initial: { opt_out_keywords: string[]; opt_in_keywords: string[]; stop_confirmation_text: string | null };
  editable: boolean;
}) {
  const qc = useQueryClient();
  const [optOut, setOptOut] = useState(toLines(initial.opt_out_keywords));
  const [optIn, setOptIn] = useState(toLines(initial.opt_in_keywords));
  const [reply, setReply] = useState(initial.stop_confirmation_text ?? '');
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (body: Parameters<typeof api.contacts.updateSettings>[0]) =>
      api.contacts.updateSettings(body),
    onSuccess: (s) => {
      qc.setQueryData(contactKeys.settings, s);
      // What the server kept: restored lists, trimmed words.
      setOptOut(toLines(s.opt_out_keywords));
      setOptIn(toLines(s.opt_in_keywords));
      setReply(s.stop_confirmation_text ?? '');
      setSaved(true);
    },
  });
  const area =
    'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm focus:border-brand-600 focus:outline-none disabled:bg-slate-50';
  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        save.mutate({
          opt_out_keywords: fromLines(optOut),
          opt_in_keywords: fromLines(optIn),
          stop_confirmation_text: reply.trim() || null,
        });
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Opt-out keywords" hint="One per line">
          {(id) => (
            <textarea
              id={id}
              rows={8}
              className={area}
              disabled={!editable}
              value={optOut}
              onChange={(e) => setOptOut(e.target.value)}
            />
          )}
        </Field>
        <Field label="Opt-in keywords" hint="One per line">
          {(id) => (
            <textarea
              id={id}
              rows={8}
              className={area}
              disabled={!editable}
              value={optIn}
              onChange={(e) => setOptIn(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field
        label="Reply to an opt-out"
        hint="Stored now but not sent yet: this version of openwaba cannot send messages. Once sending exists, it is sent once after each opt-out keyword. Leave empty for no reply."
      >
        {(id) => (
          <textarea
            id={id}
            rows={2}
            className={area.replace('font-mono ', '')}
            disabled={!editable}
            value={reply}
            onChange={(e) => setReply(e.target.value)}
            placeholder="You will no longer receive messages from us. Reply START to subscribe again."
          />
        )}
      </Field>
      {save.error && <Alert>{errorMessage(save.error)}</Alert>}
      {saved && !save.isPending && <Alert kind="success">Saved.</Alert>}
      {editable && (
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={save.isPending}>
            Save keywords
          </Button>
          <Button
            variant="ghost"
            disabled={save.isPending}
            onClick={() => {
              setSaved(false);
              save.mutate({ opt_out_keywords: null, opt_in_keywords: null });
            }}
          >
            Restore the built-in lists
          </Button>
        </div>
      )}
    </form>
  );
}
