import type { ImportMapping, ImportUpload } from '@openwaba/contracts';
import { useState } from 'react';
import { Table } from '../../../components/table.tsx';
import { Alert, Button, Card, Select } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { useContactRights, useFields } from '../queries.ts';
import { NewFieldForm } from './new-field-form.tsx';
import { NextButton } from './next-button.tsx';

/** Step 2: which column holds the phone, the name, the tags and each custom field. */
export function MappingStep({
  upload,
  initial,
  onBack,
  onNext,
}: {
  upload: ImportUpload;
  initial: ImportMapping | null;
  onBack: () => void;
  onNext: (m: ImportMapping) => void;
}) {
  const fields = useFields();
  const { canManage } = useContactRights();
  const [adding, setAdding] = useState(false);
  const s = upload.suggested_mapping;
  const [phone, setPhone] = useState(initial?.phone ?? s.phone ?? '');
  const [name, setName] = useState(initial ? (initial.name ?? '') : (s.name ?? ''));
  const [lastName, setLastName] = useState(initial ? (initial.last_name ?? '') : (s.last_name ?? ''));
  const [tags, setTags] = useState(initial ? (initial.tags ?? '') : (s.tags ?? ''));
  const [custom, setCustom] = useState<Record<string, string>>(initial?.fields ?? s.fields);
  const samples = (col: string) => {
    const i = upload.headers.indexOf(col);
    if (i < 0) return [];
    return [...new Set(upload.sample_rows.map((r) => r[i] ?? '').filter(Boolean))].slice(0, 3);
  };
  const rows: { key: string; label: string; required?: boolean; value: string; set: (v: string) => void }[] =
    [
      { key: 'phone', label: 'Phone', required: true, value: phone, set: setPhone },
      { key: 'name', label: lastName ? 'First name' : 'Name', value: name, set: setName },
      { key: 'last_name', label: 'Last name (joined after the name)', value: lastName, set: setLastName },
      { key: 'tags', label: 'Tags', value: tags, set: setTags },
      ...(fields.data?.data ?? []).map((f) => ({
        key: `field:${f.key}`,
        label: f.label,
        value: custom[f.key] ?? '',
        set: (v: string) => {
          const next = { ...custom };
          if (v) next[f.key] = v;
          else delete next[f.key];
          setCustom(next);
        },
      })),
    ];
  const used = rows.map((r) => r.value).filter(Boolean);
  const twice = used.find((v, i) => used.indexOf(v) !== i);
  const free = upload.headers.filter((h) => !used.includes(h));
  return (
    <Card
      title="Which column holds what?"
      description="Suggested from the column names; change anything that is wrong. Only the phone is required. Tags may be several per cell, separated by commas."
    >
      <Table
        caption="Columns of the file for each contact property"
        columns={[
          {
            header: 'Contact property',
            className: 'font-medium',
            cell: (r) => (
              <label htmlFor={`map-${r.key}`}>
                {r.label}
                {r.required && <span className="text-red-700"> *</span>}
              </label>
            ),
          },
          {
            header: 'Column in the file',
            cell: (r) => (
              <Select
                id={`map-${r.key}`}
                className="w-56"
                value={r.value}
                onChange={(e) => r.set(e.target.value)}
              >
                <option value="">{r.required ? 'Choose a column…' : '— not imported —'}</option>
                {upload.headers.map((h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </Select>
            ),
          },
          {
            header: 'Sample values',
            className: 'text-slate-600',
            cell: (r) =>
              r.value ? (
                <span className="flex flex-wrap gap-1">
                  {samples(r.value).map((v) => (
                    <code key={v} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">
                      {v}
                    </code>
                  ))}
                  {samples(r.value).length === 0 && (
                    <span className="text-xs">(empty in the first rows)</span>
                  )}
                </span>
              ) : (
                <span className="text-xs text-slate-400">—</span>
              ),
          },
        ]}
        rows={rows}
        rowKey={(r) => r.key}
        valign="middle"
      />
      {canManage &&
        (adding ? (
          <NewFieldForm
            columns={free}
            samples={samples}
            onCreated={(f, column) => {
              setCustom((now) => ({ ...now, [f.key]: column }));
              setAdding(false);
            }}
            onCancel={() => setAdding(false)}
          />
        ) : (
          <div className="mt-3 flex flex-wrap items-center gap-3">
            <Button variant="secondary" disabled={free.length === 0} onClick={() => setAdding(true)}>
              New field…
            </Button>
            <span className="text-sm text-slate-600">
              {free.length === 0
                ? 'Every column is mapped already.'
                : 'A column that fits no property yet can go into a new custom field.'}
            </span>
          </div>
        ))}
      {twice && (
        <div className="mt-3">
          <Alert>The column “{twice}” is chosen twice; each column feeds one property.</Alert>
        </div>
      )}
      <StepFooter>
        <Button variant="secondary" onClick={onBack}>
          Back
        </Button>
        <NextButton
          label="Next: options"
          why={
            !phone
              ? 'Choose the column that holds the phone numbers.'
              : twice
                ? `The column “${twice}” is chosen twice.`
                : null
          }
          onClick={() =>
            onNext({
              phone,
              ...(name ? { name } : {}),
              ...(lastName ? { last_name: lastName } : {}),
              ...(tags ? { tags } : {}),
              ...(Object.keys(custom).length ? { fields: custom } : {}),
            })
          }
        />
      </StepFooter>
    </Card>
  );
}
