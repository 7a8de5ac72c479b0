import { useMutation } from '@tanstack/react-query';
import { api, errorMessage } from '../../../api.ts';
import { type Column, Table } from '../../../components/table.tsx';
import { Alert, Field, Select } from '../../../components/ui.tsx';
import { n } from '../queries.ts';
import type { Audience, FileAudience as FileAudienceChoice } from './draft.ts';

const SAMPLE = 5;

/** An audience file: uploaded at once (the server reads it), then the phone column is chosen. */
export function FileAudience({
  audience,
  onChange,
}: {
  audience: FileAudienceChoice;
  onChange: (a: Audience) => void;
}) {
  const upload = useMutation({
    mutationFn: (file: File) => api.campaigns.uploadAudience(file, file.name),
    onSuccess: (u) => onChange({ kind: 'file', upload: u, phoneColumn: u.suggested_mapping.phone ?? '' }),
  });
  const u = audience.upload;
  return (
    <div className="space-y-4">
      <Field
        label="Audience file"
        hint="CSV or XLSX, one recipient per row, up to 100,000 rows. A phone column, and any columns for the template's variables: Phone,{{Media}},{{1}},{{2}}. The file is read when the draft is created, then deleted."
      >
        {(id) => (
          <input
            id={id}
            type="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            className="block text-sm"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) upload.mutate(file);
            }}
          />
        )}
      </Field>
      {upload.isPending && <p className="text-sm text-slate-600">Reading the file…</p>}
      {upload.error && <Alert>{errorMessage(upload.error)}</Alert>}
      {u && (
        <>
          <p className="text-sm text-slate-700" role="status" data-testid="audience-file-summary">
            <strong>{u.filename}</strong>: {n(u.total_rows)} row{u.total_rows === 1 ? '' : 's'},{' '}
            {u.headers.length} column{u.headers.length === 1 ? '' : 's'}. Rows with a bad or repeated phone
            are kept as invalid, with the reason.
          </p>
          {u.warnings.map((w) => (
            <Alert key={w} kind="info">
              {w}
            </Alert>
          ))}
          <Field label="Phone column">
            {(id) => (
              <Select
                id={id}
                className="w-72"
                value={audience.phoneColumn}
                onChange={(e) => onChange({ ...audience, phoneColumn: e.target.value })}
              >
                <option value="">Choose…</option>
                {u.headers.map((h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Table
            caption="First rows of the file"
            look="inset"
            density="compact"
            fontSize="xs"
            columns={u.headers.map(
              (h, j): Column<string[]> => ({
                header: h,
                id: String(j),
                headerClassName: 'normal-case',
                className: 'text-slate-800',
                cell: (row) => row[j] ?? '',
              }),
            )}
            rows={u.sample_rows.slice(0, SAMPLE)}
            // Sample rows have no identity but their place in the file.
            rowKey={(row) => u.sample_rows.indexOf(row)}
          />
        </>
      )}
    </div>
  );
}
