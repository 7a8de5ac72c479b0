import type { Template, TemplateSyncResult } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect, SearchBox } from '../../components/filters.tsx';
import { Icon } from '../../components/icons.tsx';
import { type Column, RowLink, Table } from '../../components/table.tsx';
import { Alert, Badge, Button, ButtonLink, EmptyState, PageHeader } from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { templateKeys } from './keys.ts';
import {
  CATEGORIES,
  STATUSES,
  statusTone,
  type TemplateFilter,
  useTemplateRights,
  useTemplates,
  words,
} from './queries.ts';

const USE = {
  '': 'Any',
  usable: 'Usable in campaigns',
  quarantined: 'Quarantined',
  clear: 'Not quarantined',
} as const;
type Use = keyof typeof USE;

/** The filter lives in the address, so a notification's link or a shared view opens it as it was. */
function useFilter() {
  const [params, setParams] = useSearchParams();
  const view = {
    search: params.get('q') ?? '',
    status: params.get('status') ?? '',
    category: params.get('category') ?? '',
    use: (params.get('use') ?? '') as Use,
    inactive: params.get('inactive') === '1',
  };
  const set = (patch: Partial<typeof view>) => {
    const v = { ...view, ...patch };
    const next = new URLSearchParams();
    if (v.search) next.set('q', v.search);
    if (v.status) next.set('status', v.status);
    if (v.category) next.set('category', v.category);
    if (v.use) next.set('use', v.use);
    if (v.inactive) next.set('inactive', '1');
    setParams(next, { replace: true });
  };
  return [view, set] as const;
}

function syncSummary(r: TemplateSyncResult) {
  const accounts = `${r.wabas} account${r.wabas === 1 ? '' : 's'}`;
  return `Synced ${r.templates} template${r.templates === 1 ? '' : 's'} from ${accounts}: ${r.created} new, ${r.updated} updated, ${r.deactivated} marked inactive, ${r.quarantined} quarantined.`;
}

export function TemplatesPage() {
  const [view, setView] = useFilter();
  const { canManage } = useTemplateRights();
  const numbers = useNumbers();
  const qc = useQueryClient();
  const [search, setSearch] = useState(view.search);
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const filter: TemplateFilter = useMemo(
    () => ({
      ...(view.search ? { search: view.search } : {}),
      ...(view.status ? { status: view.status } : {}),
      ...(view.category ? { category: view.category as (typeof CATEGORIES)[number] } : {}),
      ...(view.use === 'usable' ? { usable: true } : {}),
      ...(view.use === 'quarantined' ? { quarantined: true } : {}),
      ...(view.use === 'clear' ? { quarantined: false } : {}),
      ...(view.inactive ? { include_inactive: true } : {}),
    }),
    [view.search, view.status, view.category, view.use, view.inactive],
  );
  const list = useTemplates(filter);
  const sync = useMutation({
    mutationFn: (wabaId?: string) => api.templates.sync(wabaId ? { waba_id: wabaId } : {}),
    onSettled: () => qc.invalidateQueries({ queryKey: templateKeys.all }),
  });

  // One sync button per WhatsApp Business Account, named by its numbers.
  const wabas = useMemo(() => {
    const by = new Map<string, string[]>();
    for (const n of numbers.data?.data ?? [])
      by.set(n.waba_id, [...(by.get(n.waba_id) ?? []), n.display_name]);
    return [...by].map(([id, names]) => ({ id, label: names.join(', ') }));
  }, [numbers.data]);

  const filtered = Boolean(view.search || view.status || view.category || view.use || view.inactive);
  const templates = list.data?.data ?? [];

  return (
    <>
      <PageHeader title="Templates">
        {canManage && (
          <div className="flex flex-wrap gap-2">
            {wabas.length > 1 &&
              wabas.map((w) => (
                <Button
                  key={w.id}
                  variant="secondary"
                  disabledReason={sync.isPending && 'A sync is running'}
                  onClick={() => sync.mutate(w.id)}
                  title={`WhatsApp Business Account ${w.id}`}
                >
                  Sync {w.label}
                </Button>
              ))}
            <Button
              variant="secondary"
              disabledReason={sync.isPending && 'A sync is running'}
              onClick={() => sync.mutate(undefined)}
            >
              <Icon name="refresh" className={`h-4 w-4 ${sync.isPending ? 'animate-spin' : ''}`} />
              {sync.isPending ? 'Syncing…' : 'Sync all'}
            </Button>
            <ButtonLink to="/templates/new">New template</ButtonLink>
          </div>
        )}
      </PageHeader>

      <div className="mb-4 space-y-2">
        {notice && <Alert kind="success">{notice}</Alert>}
        {sync.data && (
          <Alert kind={sync.data.errors.length ? 'error' : 'success'}>
            <p>{syncSummary(sync.data)}</p>
            {sync.data.quarantined > 0 && (
              <p className="mt-1">
                Quarantined templates are kept out of campaigns until a manager releases them.
              </p>
            )}
            {sync.data.errors.map((e) => (
              <p key={e.waba_id} className="mt-1">
                Account {e.waba_id}: {e.message}
              </p>
            ))}
          </Alert>
        )}
        {sync.error && <Alert>Sync failed: {errorMessage(sync.error)}</Alert>}
      </div>

      <FilterBar>
        <SearchBox
          label="Search"
          submitLabel="Search templates"
          className="min-w-56"
          placeholder="Template name"
          value={search}
          onChange={setSearch}
          onSubmit={(q) => setView({ search: q.trim() })}
        />
        <FilterSelect
          label="Status"
          className="w-36"
          value={view.status}
          options={[['', 'Any'], ...STATUSES.map((x): [string, string] => [x, words(x)])]}
          onChange={(status) => setView({ status })}
        />
        <FilterSelect
          label="Category"
          className="w-40"
          value={view.category}
          options={[['', 'Any'], ...CATEGORIES.map((x): [string, string] => [x, words(x)])]}
          onChange={(category) => setView({ category })}
        />
        <FilterSelect
          label="Campaign use"
          className="w-48"
          value={view.use}
          options={Object.entries(USE) as [Use, string][]}
          onChange={(use) => setView({ use })}
        />
        <label className="flex items-center gap-2 pb-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={view.inactive}
            onChange={(e) => setView({ inactive: e.target.checked })}
            className="h-4 w-4 rounded border-slate-300"
          />
          Show inactive
        </label>
      </FilterBar>

      {list.error && <Alert>{errorMessage(list.error)}</Alert>}
      <Table
        caption="Templates"
        look="card"
        density="roomy"
        columns={TEMPLATE_COLUMNS}
        rows={templates}
        rowKey={(t) => t.id}
        rowProps={(t) => ({ 'data-template': t.name, className: t.quarantined ? 'bg-red-50/60' : undefined })}
        status={list.status}
        loadingText="Loading templates…"
        empty={
          <EmptyState
            title={filtered ? 'No templates match' : 'No templates synced'}
            icon={<Icon name="templates" className="mx-auto h-10 w-10 text-brand-600" />}
          >
            {filtered ? (
              <p>Clear a filter, or tick “Show inactive” to include templates deleted at Meta.</p>
            ) : (
              <p>
                Templates approved by Meta for your WhatsApp accounts appear here.{' '}
                {canManage
                  ? 'Press “Sync all” to fetch them now (it also runs every 3 hours), or create a new one.'
                  : 'They are synced every 3 hours; a manager can sync them now.'}
              </p>
            )}
          </EmptyState>
        }
      />
    </>
  );
}

const TEMPLATE_COLUMNS: Column<Template>[] = [
  {
    header: 'Name',
    cell: (t) => (
      <>
        <RowLink to={`/templates/${t.id}`}>{t.name}</RowLink>
        <span className="ml-2 text-xs text-slate-500">{t.language}</span>
        {!t.active && (
          <Badge tone="slate" className="ml-2">
            Inactive
          </Badge>
        )}
        <p className="mt-0.5 text-xs text-slate-600 sm:hidden">
          {words(t.category)} · {t.usable_in_campaigns ? 'usable in campaigns' : 'not usable in campaigns'}
        </p>
        {t.quarantined && (
          <p className="mt-1 flex items-start gap-1.5 text-xs text-red-800">
            <Badge tone="red" className="shrink-0 font-semibold">
              <Icon name="alert" className="h-3.5 w-3.5" />
              Quarantined
            </Badge>
            <span>{t.quarantine_reason ?? 'Kept out of campaigns until a manager releases it.'}</span>
          </p>
        )}
      </>
    ),
  },
  { header: 'Status', cell: (t) => <Badge tone={statusTone(t)}>{words(t.status)}</Badge> },
  { header: 'Category', from: 'sm', className: 'text-slate-700', cell: (t) => words(t.category) },
  { header: 'Quality', from: 'sm', className: 'text-slate-700', cell: (t) => words(t.quality_score) },
  {
    header: 'Usable in campaigns',
    from: 'sm',
    cell: (t) =>
      t.usable_in_campaigns ? (
        <span className="inline-flex items-center gap-1 text-green-700">
          <Icon name="check" className="h-4 w-4" /> Yes
        </span>
      ) : (
        <span className="text-slate-500">No</span>
      ),
  },
];
