import type { ImportOptionsInput, ImportPreview, RowOutcome } from '@openwaba/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, errorMessage } from '../../../api.ts';
import { type Column, Table } from '../../../components/table.tsx';
import { Alert, Badge, type BadgeTone, Button, Card } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { importKeys } from '../keys.ts';
import { CountsGrid } from './counts-grid.tsx';
import { NextButton } from './next-button.tsx';

const OUTCOME: Record<RowOutcome, { label: string; tone: BadgeTone }> = {
  new: { label: 'New', tone: 'green' },
  updated: { label: 'Update', tone: 'sky' },
  unchanged: { label: 'Unchanged', tone: 'slate' },
  invalid: { label: 'Invalid', tone: 'red' },
  duplicate: { label: 'Duplicate', tone: 'amber' },
};

function PreviewTable({ preview }: { preview: ImportPreview }) {
  const fieldKeys = [...new Set(preview.rows.flatMap((r) => Object.keys(r.fields)))];
  const columns: Column<ImportPreview['rows'][number]>[] = [
    { header: 'Row', className: 'tabular-nums text-slate-500', cell: (r) => r.row_number },
    {
      header: 'Outcome',
      cell: (r) => (
        <>
          <Badge tone={OUTCOME[r.outcome].tone}>{OUTCOME[r.outcome].label}</Badge>
          {r.reason && <p className="mt-0.5 max-w-56 text-xs text-slate-600">{r.reason}</p>}
        </>
      ),
    },
    { header: 'Phone', className: 'whitespace-nowrap tabular-nums', cell: (r) => r.phone },
    { header: 'Name', cell: (r) => r.name ?? '—' },
    { header: 'Tags', cell: (r) => r.tags.join(', ') || '—' },
    ...fieldKeys.map(
      (k): Column<ImportPreview['rows'][number]> => ({
        header: k,
        id: `field:${k}`,
        headerClassName: 'normal-case',
        cell: (r) => (r.fields[k] === undefined ? '—' : String(r.fields[k])),
      }),
    ),
  ];
  return (
    <Table
      caption="The first rows as they will be stored"
      look="inset"
      columns={columns}
      rows={preview.rows}
      rowKey={(r) => r.row_number}
      rowProps={(r) => ({ className: r.outcome === 'invalid' ? 'bg-red-50/50' : undefined })}
      valign="middle"
    />
  );
}

/** Step 4: the first rows as stored and the fate of every row; nothing is saved before Confirm. */
export function PreviewStep({
  importId,
  options,
  onBack,
  onConfirmed,
}: {
  importId: string;
  options: ImportOptionsInput;
  onBack: () => void;
  onConfirmed: (id: string) => void;
}) {
  const preview = useQuery({
    queryKey: importKeys.preview(importId, options),
    queryFn: () => api.contacts.imports.preview(importId, options),
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  const confirm = useMutation({
    mutationFn: () => api.contacts.imports.confirm(importId, options),
    onSuccess: (r) => onConfirmed(r.id),
  });
  const c = preview.data?.counts;
  const willStore = c ? c.new + c.updated : 0;
  return (
    <Card
      title="Check before importing"
      description="The first rows as they will be stored, and what happens to every row of the file. Nothing is saved until you confirm."
    >
      {preview.isPending && (
        <p className="text-sm text-slate-500" role="status">
          Reading every row…
        </p>
      )}
      {preview.error && <Alert>{errorMessage(preview.error)}</Alert>}
      {preview.data && c && (
        <div className="space-y-4">
          <CountsGrid counts={c} />
          {(c.invalid > 0 || c.duplicates > 0) && (
            <Alert kind="info">
              {c.invalid + c.duplicates} row{c.invalid + c.duplicates === 1 ? '' : 's'} will be left out (the
              reasons are shown below, and in a report you can download at the end). The rest is imported.
            </Alert>
          )}
          <PreviewTable preview={preview.data} />
          {c.total > preview.data.rows.length && (
            <p className="text-xs text-slate-500">
              Showing the first {preview.data.rows.length} of {c.total.toLocaleString()} rows.
            </p>
          )}
        </div>
      )}
      {confirm.error && (
        <div className="mt-3">
          <Alert>{errorMessage(confirm.error)}</Alert>
        </div>
      )}
      <StepFooter>
        <Button variant="secondary" onClick={onBack} disabled={confirm.isPending}>
          Back
        </Button>
        <NextButton
          label={
            confirm.isPending
              ? 'Starting…'
              : `Confirm: import ${willStore.toLocaleString()} contact${willStore === 1 ? '' : 's'}`
          }
          why={
            preview.data
              ? null
              : preview.error
                ? 'The preview failed: go back and change the mapping or options.'
                : 'Wait for the preview of every row.'
          }
          busy={confirm.isPending}
          onClick={() => confirm.mutate()}
        />
      </StepFooter>
    </Card>
  );
}
