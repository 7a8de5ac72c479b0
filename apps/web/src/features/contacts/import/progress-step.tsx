import type { ContactImport } from '@openwaba/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage } from '../../../api.ts';
import { Alert, ButtonLink, Card, DownloadLink } from '../../../components/ui.tsx';
import { contactKeys, importKeys, tagKeys } from '../keys.ts';
import { useTags } from '../queries.ts';
import { CountsGrid } from './counts-grid.tsx';

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

/** Step 5: the import's progress (live), then what was done and what was left out. */
export function ProgressStep({ importId }: { importId: string }) {
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
