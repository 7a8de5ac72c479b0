import type {
  ContactImport,
  ImportCounts,
  ImportMapping,
  ImportOptionsInput,
  ImportPreview,
  ImportUpload,
  RowOutcome,
} from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { type Column, Table } from '../../components/table.tsx';
import {
  Alert,
  BackLink,
  Badge,
  type BadgeTone,
  Button,
  ButtonLink,
  Card,
  DownloadLink,
  Field,
  Input,
  PageHeader,
  Select,
} from '../../components/ui.tsx';
import { StepFooter, Stepper } from '../../components/wizard.tsx';
import { contactKeys, importKeys, tagKeys } from './keys.ts';
import { useContactRights, useFields, useTags } from './queries.ts';

const STEPS = ['Upload', 'Map columns', 'Options', 'Preview', 'Import'] as const;

export function ImportWizard() {
  const { canImport } = useContactRights();
  const [step, setStep] = useState(0);
  const [upload, setUpload] = useState<ImportUpload | null>(null);
  const [mapping, setMapping] = useState<ImportMapping | null>(null);
  const [options, setOptions] = useState<Omit<ImportOptionsInput, 'mapping'>>({ on_duplicate: 'update' });
  const [importId, setImportId] = useState<string | null>(null);
  const full = (): ImportOptionsInput => ({ ...options, mapping: mapping ?? { phone: '' } });

  return (
    <div className="max-w-5xl">
      <BackLink to="/contacts" className="mb-2">
        Contacts
      </BackLink>
      <PageHeader title="Import contacts" />
      {!canImport ? (
        <Alert>Importing contacts needs the manager role or above. Ask an admin of your organisation.</Alert>
      ) : (
        <>
          <Stepper steps={STEPS} step={step} label="Import steps" />
          {step === 0 && (
            <UploadStep
              upload={upload}
              onUploaded={(u) => {
                setUpload(u);
                setMapping(null);
              }}
              onNext={() => setStep(1)}
            />
          )}
          {step === 1 && upload && (
            <MappingStep
              upload={upload}
              initial={mapping}
              onBack={() => setStep(0)}
              onNext={(m) => {
                setMapping(m);
                setStep(2);
              }}
            />
          )}
          {step === 2 && (
            <OptionsStep
              initial={options}
              onBack={() => setStep(1)}
              onNext={(o) => {
                setOptions(o);
                setStep(3);
              }}
            />
          )}
          {step === 3 && upload && (
            <PreviewStep
              importId={upload.id}
              options={full()}
              onBack={() => setStep(2)}
              onConfirmed={(id) => {
                setImportId(id);
                setStep(4);
              }}
            />
          )}
          {step === 4 && importId && <ProgressStep importId={importId} />}
        </>
      )}
    </div>
  );
}

// ---- 1 upload ---------------------------------------------------------------------------------

function UploadStep({
  upload,
  onUploaded,
  onNext,
}: {
  upload: ImportUpload | null;
  onUploaded: (u: ImportUpload) => void;
  onNext: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const send = useMutation({
    mutationFn: (file: File) => api.contacts.imports.upload(file, file.name),
    onSuccess: onUploaded,
  });
  const pick = (files: FileList | null) => {
    const f = files?.[0];
    if (f) send.mutate(f);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    pick(e.dataTransfer.files);
  };
  return (
    <Card
      title="Choose a file"
      description="A CSV or Excel (.xlsx) file with one contact per row and a header row. Up to 50 MB."
    >
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a shortcut; the button inside does the same from the keyboard */}
      <div
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        className={`flex flex-col items-center justify-center gap-2 rounded-lg border-2 border-dashed px-6 py-10 text-center ${
          over ? 'border-brand-600 bg-brand-50' : 'border-slate-300 bg-slate-50'
        }`}
      >
        <Icon name="document" className="h-10 w-10 text-brand-600" />
        <p className="text-sm text-slate-700">Drop the file here, or</p>
        <Button variant="secondary" onClick={() => input.current?.click()} disabled={send.isPending}>
          {send.isPending ? 'Reading the file…' : upload ? 'Choose another file' : 'Choose a file'}
        </Button>
        <label htmlFor="import-file" className="sr-only">
          Contacts file
        </label>
        <input
          id="import-file"
          ref={input}
          type="file"
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          className="sr-only"
          onChange={(e) => {
            pick(e.target.files);
            e.target.value = '';
          }}
        />
      </div>
      {send.error && (
        <div className="mt-4">
          <Alert>
            The file could not be read: {errorMessage(send.error).replace(/\.$/, '')}. Check that it is a CSV
            or XLSX file with a header row, then choose it again.
          </Alert>
        </div>
      )}
      {upload && !send.isPending && (
        <div className="mt-4 space-y-3" data-testid="upload-summary">
          <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
            <Stat label="File" value={upload.filename} />
            <Stat label="Format" value={upload.format.toUpperCase()} />
            <Stat label="Encoding" value={upload.encoding ?? '—'} />
            <Stat label="Rows" value={upload.total_rows.toLocaleString()} />
          </dl>
          <p className="text-sm text-slate-600">
            {upload.headers.length} column{upload.headers.length === 1 ? '' : 's'}:{' '}
            {upload.headers.join(', ')}
          </p>
          {upload.warnings.map((w) => (
            <Alert key={w} kind="info">
              {w}
            </Alert>
          ))}
        </div>
      )}
      <StepFooter>
        <span />
        <Button onClick={onNext} disabled={!upload || send.isPending}>
          Next: map columns
        </Button>
      </StepFooter>
    </Card>
  );
}

function Stat({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2">
      <dt className="text-xs uppercase text-slate-500">{label}</dt>
      <dd
        className="truncate font-semibold text-slate-900"
        title={typeof value === 'string' ? value : undefined}
      >
        {value}
      </dd>
    </div>
  );
}

// ---- 2 mapping --------------------------------------------------------------------------------

function MappingStep({
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
      {!phone && (
        <div className="mt-3">
          <Alert kind="info">Choose the column that holds the phone numbers.</Alert>
        </div>
      )}
      {twice && (
        <div className="mt-3">
          <Alert>The column “{twice}” is chosen twice; each column feeds one property.</Alert>
        </div>
      )}
      <StepFooter>
        <Button variant="secondary" onClick={onBack}>
          Back
        </Button>
        <Button
          disabled={!phone || Boolean(twice)}
          onClick={() =>
            onNext({
              phone,
              ...(name ? { name } : {}),
              ...(lastName ? { last_name: lastName } : {}),
              ...(tags ? { tags } : {}),
              ...(Object.keys(custom).length ? { fields: custom } : {}),
            })
          }
        >
          Next: options
        </Button>
      </StepFooter>
    </Card>
  );
}

// ---- 3 options --------------------------------------------------------------------------------

function OptionsStep({
  initial,
  onBack,
  onNext,
}: {
  initial: Omit<ImportOptionsInput, 'mapping'>;
  onBack: () => void;
  onNext: (o: Omit<ImportOptionsInput, 'mapping'>) => void;
}) {
  const tags = useTags();
  const [onDuplicate, setOnDuplicate] = useState(initial.on_duplicate ?? 'update');
  const [addTags, setAddTags] = useState((initial.add_tags ?? []).join(', '));
  const [optIn, setOptIn] = useState(initial.opt_in !== undefined);
  const [proof, setProof] = useState(initial.opt_in?.proof ?? '');
  const tagList = addTags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return (
    <Card title="How should the rows be imported?">
      <div className="space-y-6">
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">A phone that is already a contact</legend>
          <div className="mt-2 space-y-2 text-sm">
            <label className="flex items-start gap-2">
              <input
                type="radio"
                name="on_duplicate"
                className="mt-1"
                checked={onDuplicate === 'update'}
                onChange={() => setOnDuplicate('update')}
              />
              <span>
                <strong>Update it</strong> — the file's name and field values replace the stored ones; tags
                are added.
              </span>
            </label>
            <label className="flex items-start gap-2">
              <input
                type="radio"
                name="on_duplicate"
                className="mt-1"
                checked={onDuplicate === 'skip'}
                onChange={() => setOnDuplicate('skip')}
              />
              <span>
                <strong>Skip it</strong> — existing contacts stay exactly as they are.
              </span>
            </label>
          </div>
        </fieldset>
        <Field
          label="Tags to add to every imported contact"
          hint="Separated by commas; missing tags are created. Handy to find this import later."
        >
          {(id) => (
            <>
              <Input
                id={id}
                list="import-known-tags"
                value={addTags}
                onChange={(e) => setAddTags(e.target.value)}
                placeholder="Spring fair 2026"
              />
              <datalist id="import-known-tags">
                {tags.data?.data.map((t) => (
                  <option key={t.id} value={t.name} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-700">Consent</legend>
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              className="mt-1"
              checked={optIn}
              onChange={(e) => setOptIn(e.target.checked)}
            />
            <span>
              These people agreed to receive messages from us — record an opt-in (source: import) for each. An
              earlier opt-out is never overridden.
            </span>
          </label>
          {optIn && (
            <Field
              label="Proof of consent"
              hint="Where and how they agreed; kept in each contact's consent ledger."
            >
              {(id) => (
                <Input
                  id={id}
                  value={proof}
                  onChange={(e) => setProof(e.target.value)}
                  placeholder="Newsletter sign-up form at the spring fair, 12 April"
                />
              )}
            </Field>
          )}
        </fieldset>
      </div>
      <StepFooter>
        <Button variant="secondary" onClick={onBack}>
          Back
        </Button>
        <Button
          disabled={optIn && !proof.trim()}
          onClick={() =>
            onNext({
              on_duplicate: onDuplicate,
              ...(tagList.length ? { add_tags: tagList } : {}),
              ...(optIn ? { opt_in: { source: 'import', proof: proof.trim() } } : {}),
            })
          }
        >
          Next: preview
        </Button>
      </StepFooter>
    </Card>
  );
}

// ---- 4 preview --------------------------------------------------------------------------------

const OUTCOME: Record<RowOutcome, { label: string; tone: BadgeTone }> = {
  new: { label: 'New', tone: 'green' },
  updated: { label: 'Update', tone: 'sky' },
  unchanged: { label: 'Unchanged', tone: 'slate' },
  invalid: { label: 'Invalid', tone: 'red' },
  duplicate: { label: 'Duplicate', tone: 'amber' },
};

function CountsGrid({ counts, done }: { counts: ImportCounts; done?: boolean }) {
  const items: [string, number, BadgeTone][] = [
    [done ? 'Created' : 'New', counts.new, 'green'],
    [done ? 'Updated' : 'Will update', counts.updated, 'sky'],
    ['Unchanged', counts.unchanged, 'slate'],
    ['Invalid', counts.invalid, 'red'],
    ['Duplicates in file', counts.duplicates, 'amber'],
  ];
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5" aria-label="Counts">
      {items.map(([label, n, tone]) => (
        <div key={label} className="rounded-md border border-slate-200 bg-white px-3 py-2">
          <dt className="text-xs uppercase text-slate-500">{label}</dt>
          <dd className="mt-0.5 flex items-center gap-2 text-lg font-semibold text-slate-900">
            {n.toLocaleString()}
            <span aria-hidden="true" className={`h-2 w-2 rounded-full ${DOT[tone]}`} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
const DOT: Record<BadgeTone, string> = {
  green: 'bg-green-500',
  sky: 'bg-sky-500',
  slate: 'bg-slate-400',
  red: 'bg-red-500',
  amber: 'bg-amber-500',
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

function PreviewStep({
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
        <Button onClick={() => confirm.mutate()} disabled={!preview.data || confirm.isPending}>
          {confirm.isPending
            ? 'Starting…'
            : `Confirm: import ${willStore.toLocaleString()} contact${willStore === 1 ? '' : 's'}`}
        </Button>
      </StepFooter>
    </Card>
  );
}

// ---- 5 progress and result --------------------------------------------------------------------

const FINISHED = ['completed', 'failed'];

/** Rows per second since the first progress seen, and the seconds left at that rate. */
function useRate(processed: number, total: number) {
  const first = useRef<{ t: number; n: number } | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (first.current === null && processed > 0) first.current = { t: Date.now(), n: 0 };
  const f = first.current;
  const secs = f ? (now - f.t) / 1000 : 0;
  const rate = f && secs > 0.5 ? (processed - f.n) / secs : null;
  const eta = rate && rate > 0 ? Math.max(0, (total - processed) / rate) : null;
  return { rate, eta };
}

function ProgressStep({ importId }: { importId: string }) {
  const qc = useQueryClient();
  // Realtime events (`contacts.import_progress`) update this query in place; polling is the fallback.
  const job = useQuery({
    queryKey: importKeys.one(importId),
    queryFn: () => api.contacts.imports.get(importId),
    refetchInterval: (q) => (q.state.data && FINISHED.includes(q.state.data.state) ? false : 3000),
    staleTime: 0,
  });
  const done = job.data?.state === 'completed';
  useEffect(() => {
    if (done) {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: tagKeys.all });
    }
  }, [done, qc]);
  return (
    <Card title={done ? 'Import finished' : job.data?.state === 'failed' ? 'Import failed' : 'Importing…'}>
      {job.error && <Alert>{errorMessage(job.error)}</Alert>}
      {job.data &&
        (done || job.data.state === 'failed' ? (
          <ImportResult job={job.data} addTags={job.data.options?.add_tags ?? []} />
        ) : (
          <Progress job={job.data} />
        ))}
    </Card>
  );
}

const duration = (s: number) =>
  s < 60 ? `${Math.ceil(s)} s` : `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;

function Progress({ job }: { job: ContactImport }) {
  const total = job.total_rows || 1;
  const pct = Math.min(100, Math.round((job.processed / total) * 100));
  const { rate, eta } = useRate(job.processed, job.total_rows);
  return (
    <div className="space-y-3">
      <div
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={job.total_rows}
        aria-valuenow={job.processed}
        className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div className="h-full rounded-full bg-brand-600 transition-all" style={{ width: `${pct}%` }} />
      </div>
      <p className="flex flex-wrap gap-x-4 text-sm text-slate-700" role="status">
        <span>
          {job.state === 'queued'
            ? 'Waiting for a worker…'
            : `${job.processed.toLocaleString()} of ${job.total_rows.toLocaleString()} rows (${pct}%)`}
        </span>
        {rate !== null && <span>{Math.round(rate).toLocaleString()} rows/s</span>}
        {eta !== null && <span>about {duration(eta)} left</span>}
      </p>
      <p className="text-xs text-slate-500">
        All or nothing: if anything goes wrong, no contact is changed. You can leave this page; the import
        goes on.
      </p>
    </div>
  );
}

function ImportResult({ job, addTags }: { job: ContactImport; addTags: string[] }) {
  const tags = useTags();
  if (job.state === 'failed') {
    return (
      <div className="space-y-3">
        <Alert>
          Nothing was imported: {job.error ?? 'the import stopped'}. Fix the file or the mapping and import it
          again.
        </Alert>
        <Link to="/contacts/import" reloadDocument className="text-sm font-medium text-brand-700 underline">
          Start again
        </Link>
      </div>
    );
  }
  const c = job.counts;
  const left = c ? c.invalid + c.duplicates : 0;
  const tag = tags.data?.data.find((t) => addTags[0] && t.name.toLowerCase() === addTags[0].toLowerCase());
  return (
    <div className="space-y-4">
      <Alert kind="success">
        {job.filename}: {c ? `${(c.new + c.updated).toLocaleString()} contacts imported` : 'imported'}
        {left > 0 && `, ${left} row${left === 1 ? '' : 's'} left out`}.
      </Alert>
      {c && <CountsGrid counts={c} done />}
      <div className="flex flex-wrap gap-3">
        {job.has_rejects && (
          <DownloadLink href={api.contacts.imports.rejectsUrl(job.id)}>
            Download the rejected rows (CSV)
          </DownloadLink>
        )}
        <ButtonLink to={tag ? `/contacts?tags=${tag.id}` : '/contacts'}>
          {tag ? `See the contacts tagged “${tag.name}”` : 'See the contacts'}
        </ButtonLink>
        <Link
          to="/contacts/import"
          reloadDocument
          className="inline-flex items-center px-3 py-2 text-sm text-brand-700 underline"
        >
          Import another file
        </Link>
      </div>
    </div>
  );
}

/** One import's progress or result, e.g. from the notification sent when it ends. */
export function ImportStatusPage() {
  const { id = '' } = useParams();
  return (
    <div className="max-w-5xl">
      <BackLink to="/contacts" className="mb-2">
        Contacts
      </BackLink>
      <PageHeader title="Contact import" />
      <ProgressStep importId={id} />
    </div>
  );
}
