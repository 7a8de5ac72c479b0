import type { ImportUpload } from '@openwaba/contracts';
import { useMutation } from '@tanstack/react-query';
import { type DragEvent, type ReactNode, useRef, useState } from 'react';
import { api, errorMessage } from '../../../api.ts';
import { Icon } from '../../../components/icons.tsx';
import { Alert, Button, Card } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { NextButton } from './next-button.tsx';

/** Step 1: the file, dropped or chosen; the server reads it at once and says what it found. */
export function UploadStep({
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
        <NextButton
          label="Next: map columns"
          why={send.isPending ? 'Reading the file…' : !upload ? 'Choose a CSV or XLSX file first.' : null}
          onClick={onNext}
        />
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
