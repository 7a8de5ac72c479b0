import { type CustomField, FIELD_TYPES, type FieldType } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../../api.ts';
import { Table, Td, Tr } from '../../../components/table.tsx';
import { Alert, Button, Card, Field, Input, Select } from '../../../components/ui.tsx';
import { contactKeys, fieldKeys } from '../keys.ts';
import { ConfirmDialog } from '../parts.tsx';
import { useFields } from '../queries.ts';

export const TYPE_LABEL: Record<FieldType, string> = {
  text: 'Text',
  number: 'Number',
  date: 'Date',
  boolean: 'Yes / no',
  enum: 'One of a list',
};
/** The type of a new custom field: a select of every type by its label. */
export function FieldTypeSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: FieldType;
  onChange: (t: FieldType) => void;
}) {
  return (
    <Select id={id} value={value} onChange={(e) => onChange(e.target.value as FieldType)}>
      {FIELD_TYPES.map((t) => (
        <option key={t} value={t}>
          {TYPE_LABEL[t]}
        </option>
      ))}
    </Select>
  );
}

export const splitOptions = (s: string) =>
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

/** Custom field definitions: labels and options editable, key and type fixed once created. */
export function FieldsCard({ editable }: { editable: boolean }) {
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
          <Field label="Type">{(id) => <FieldTypeSelect id={id} value={type} onChange={setType} />}</Field>
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
