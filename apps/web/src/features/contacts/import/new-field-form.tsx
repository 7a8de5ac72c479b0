import type { CustomField, FieldType } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../../api.ts';
import { Alert, Button, Field, Input, Select } from '../../../components/ui.tsx';
import { fieldKeys } from '../keys.ts';
import { FieldTypeSelect, splitOptions } from '../settings/fields-card.tsx';
import { NextButton } from './next-button.tsx';

/** A field key from a label: “Stall number” → `stall_number` (a-z first, a-z 0-9 _ after, 40 at most). */
export function keyOf(label: string): string {
  const k = label
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (/^[a-z]/.test(k) ? k : `f_${k}`).slice(0, 40).replace(/_+$/, '');
}

/**
 * A custom field created from the mapping step, for a column no property takes yet: defined through
 * the fields API (the same as Settings → Contacts), then the column is mapped to it.
 */
export function NewFieldForm({
  columns,
  samples,
  onCreated,
  onCancel,
}: {
  /** The file's columns not mapped to anything yet. */
  columns: string[];
  samples: (column: string) => string[];
  onCreated: (field: CustomField, column: string) => void;
  onCancel: () => void;
}) {
  const qc = useQueryClient();
  const [column, setColumn] = useState(columns[0] ?? '');
  const [label, setLabel] = useState(columns[0] ?? '');
  const [key, setKey] = useState<string | null>(null);
  const [type, setType] = useState<FieldType>('text');
  const [options, setOptions] = useState('');
  const fieldKey = key ?? keyOf(label);
  const create = useMutation({
    mutationFn: () =>
      api.fields.create({
        key: fieldKey,
        label: label.trim(),
        type,
        ...(type === 'enum' ? { options: splitOptions(options) } : {}),
      }),
    onSuccess: async (field) => {
      await qc.invalidateQueries({ queryKey: fieldKeys.all });
      onCreated(field, column);
    },
  });
  const pickColumn = (c: string) => {
    setColumn(c);
    if (label === column) setLabel(c);
    if (type === 'enum') setOptions(samples(c).join(', '));
  };
  const why = !column
    ? 'Choose the column.'
    : !label.trim()
      ? 'Give the field a label.'
      : !fieldKey
        ? 'Give the field a key.'
        : type === 'enum' && splitOptions(options).length === 0
          ? 'List the options.'
          : null;
  return (
    <fieldset className="mt-4 space-y-3 rounded-md border border-slate-200 p-4">
      <legend className="px-1 text-sm font-medium text-slate-700">New field</legend>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Column for the new field">
          {(id) => (
            <Select id={id} value={column} onChange={(e) => pickColumn(e.target.value)}>
              {columns.map((h) => (
                <option key={h} value={h}>
                  {h}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Field type">
          {(id) => (
            <FieldTypeSelect
              id={id}
              value={type}
              onChange={(t) => {
                setType(t);
                if (t === 'enum' && !options) setOptions(samples(column).join(', '));
              }}
            />
          )}
        </Field>
        <Field label="Field label">
          {(id) => <Input id={id} value={label} onChange={(e) => setLabel(e.target.value)} />}
        </Field>
        <Field
          label="Field key"
          hint="a-z, 0-9 and _; used in filters, imports and the API. Fixed once created."
        >
          {(id) => <Input id={id} value={fieldKey} onChange={(e) => setKey(e.target.value)} />}
        </Field>
        {type === 'enum' && (
          <Field label="Options" hint="Separated by commas.">
            {(id) => <Input id={id} value={options} onChange={(e) => setOptions(e.target.value)} />}
          </Field>
        )}
      </div>
      {create.error && <Alert>{errorMessage(create.error)}</Alert>}
      <div className="flex flex-wrap items-center justify-end gap-3">
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <NextButton
          label={create.isPending ? 'Creating…' : 'Create the field and map the column'}
          why={why}
          busy={create.isPending}
          onClick={() => create.mutate()}
        />
      </div>
    </fieldset>
  );
}
