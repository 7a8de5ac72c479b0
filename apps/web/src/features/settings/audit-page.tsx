import type { AuditEntry } from '@openwaba/contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { FilterBar } from '../../components/filters.tsx';
import { type Column, Table } from '../../components/table.tsx';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import { auditKeys } from './keys.ts';

/** Flattens `{settings: {timezone}}` to `settings.timezone`, so a change reads as one line per field. */
function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(v);
  return out;
}

function summary(e: AuditEntry): string {
  if (e.before && e.after) {
    const before = flatten(e.before);
    const after = flatten(e.after);
    return Object.keys(after)
      .filter((k) => after[k] !== before[k])
      .map((k) => `${k}: ${before[k] ?? '—'} → ${after[k]}`)
      .join('; ');
  }
  return Object.entries(flatten(e.after ?? e.before ?? {}))
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ')
    .slice(0, 300);
}

const AUDIT_COLUMNS: Column<AuditEntry>[] = [
  { header: 'When', className: 'whitespace-nowrap', cell: (e) => new Date(e.created_at).toLocaleString() },
  { header: 'Who', cell: (e) => e.actor_label ?? e.actor_type },
  { header: 'Action', className: 'font-mono text-xs', cell: (e) => e.action },
  {
    header: 'Entity',
    cell: (e) => (
      <>
        {e.entity_type}
        {e.entity_id && (
          <span className="block font-mono text-xs text-slate-500">{e.entity_id.slice(0, 8)}</span>
        )}
      </>
    ),
  },
  { header: 'Change', className: 'break-all text-slate-700', cell: summary },
];

export function AuditPage() {
  const [filters, setFilters] = useState({ action: '', entity_type: '' });
  const [draft, setDraft] = useState(filters);
  const q = {
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.entity_type ? { entity_type: filters.entity_type } : {}),
  };
  const log = useInfiniteQuery({
    queryKey: auditKeys.list(filters),
    queryFn: ({ pageParam }) => api.audit.list({ ...q, ...(pageParam ? { before: pageParam } : {}) }),
    initialPageParam: '' as string,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = log.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <div className="max-w-6xl space-y-6">
      <Card
        title="Audit log"
        description="Who changed what and when, with what it was before and after: the organisation and its members, numbers, templates, contacts (tags, fields, segments, consent, imports, erasure), campaigns, passwords and sessions, job retries and webhook replays. Conversations, quick replies and teams are not logged here. Secrets are never stored."
      >
        <FilterBar boxed={false} onSubmit={() => setFilters(draft)}>
          <Field label="Action" hint="e.g. org.update, member">
            {(id) => (
              <Input
                id={id}
                value={draft.action}
                onChange={(e) => setDraft({ ...draft, action: e.target.value })}
              />
            )}
          </Field>
          <Field label="Entity type" hint="e.g. member, invitation">
            {(id) => (
              <Input
                id={id}
                value={draft.entity_type}
                onChange={(e) => setDraft({ ...draft, entity_type: e.target.value })}
              />
            )}
          </Field>
          <Button type="submit">Filter</Button>
          <a className="text-sm font-medium text-brand-700 underline" href={api.audit.csvUrl(q)} download>
            Export CSV
          </a>
        </FilterBar>
        {log.error && <Alert>{errorMessage(log.error)}</Alert>}
        <Table
          caption="Audit log"
          testId="audit-table"
          columns={AUDIT_COLUMNS}
          rows={rows}
          rowKey={(e) => e.id}
          status={log.status}
          empty="Nothing matches these filters."
        />
        {log.hasNextPage && (
          <div className="mt-3 text-center">
            <Button
              variant="secondary"
              onClick={() => log.fetchNextPage()}
              disabledReason={log.isFetchingNextPage && 'Loading…'}
            >
              Load more
            </Button>
          </div>
        )}
      </Card>
    </div>
  );
}
