import { CONSENT_STATES, type ConsentState, type Contact, type ContactFilter } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { type Column, RowLink, Table } from '../../components/table.tsx';
import { Alert, Button, Card, EmptyState, Field, Input, PageHeader, Select } from '../../components/ui.tsx';
import { phoneOf } from '../inbox/format.ts';
import { SectionPlaceholder } from '../sections/empty-sections.tsx';
import { DeleteAllMatching } from './delete-all-matching.tsx';
import {
  CONSENT_LABEL,
  ConfirmDialog,
  ConsentBadge,
  dateOnly,
  dateTime,
  lastMessageAt,
  TagChip,
} from './parts.tsx';
import { useContactPages, useContactRights, usePhonesHidden, useSegments, useTags } from './queries.ts';

type ListFilter = ContactFilter & { segment_id?: string };

/** The filter lives in the address, so a link (an import's result, a shared view) opens it. */
function useFilter() {
  const [params, setParams] = useSearchParams();
  const filter: ListFilter = useMemo(() => {
    const tags = params.get('tags')?.split(',').filter(Boolean) ?? [];
    const consent = params.get('consent');
    const match = params.get('match');
    return {
      ...(params.get('q') ? { q: params.get('q') ?? '' } : {}),
      ...(tags.length ? { tag_ids: tags } : {}),
      ...(tags.length && (match === 'all' || match === 'none') ? { tag_match: match } : {}),
      ...(consent && (CONSENT_STATES as readonly string[]).includes(consent)
        ? { consent: consent as ConsentState }
        : {}),
      ...(params.get('segment') ? { segment_id: params.get('segment') ?? '' } : {}),
    };
  }, [params]);
  const setFilter = (f: ListFilter) => {
    const next = new URLSearchParams();
    if (f.q) next.set('q', f.q);
    if (f.tag_ids?.length) next.set('tags', f.tag_ids.join(','));
    if (f.tag_ids?.length && f.tag_match && f.tag_match !== 'any') next.set('match', f.tag_match);
    if (f.consent) next.set('consent', f.consent);
    if (f.segment_id) next.set('segment', f.segment_id);
    setParams(next, { replace: true });
  };
  return [filter, setFilter] as const;
}

const CONTACT_COLUMNS: Column<Contact>[] = [
  {
    header: 'Name',
    cell: (c) => (
      <RowLink to={`/contacts/${c.id}`}>
        {c.name || <span className="text-slate-500 italic">No name</span>}
      </RowLink>
    ),
  },
  { header: 'Phone', className: 'whitespace-nowrap tabular-nums', cell: (c) => phoneOf(c.phone) },
  {
    header: 'Tags',
    cell: (c) => (
      <div className="flex flex-wrap gap-1">
        {c.tags.map((t) => (
          <TagChip key={t.id} tag={t} />
        ))}
      </div>
    ),
  },
  { header: 'Consent', cell: (c) => <ConsentBadge state={c.consent.state} /> },
  {
    header: 'Last message',
    className: 'whitespace-nowrap text-slate-600',
    cell: (c) => {
      const last = lastMessageAt(c);
      return <span title={dateTime(last)}>{last ? dateOnly(last) : '—'}</span>;
    },
  },
  {
    header: 'Created',
    className: 'whitespace-nowrap text-slate-600',
    cell: (c) => <span title={dateTime(c.created_at)}>{dateOnly(c.created_at)}</span>,
  },
];

export function ContactsPage() {
  const [filter, setFilter] = useFilter();
  const { canWrite, canManage, canImport } = useContactRights();
  const phonesHidden = usePhonesHidden();
  const pages = useContactPages(filter);
  const tags = useTags();
  const segments = useSegments();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [search, setSearch] = useState(filter.q ?? '');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [showNew, setShowNew] = useState(false);
  const [bulkTag, setBulkTag] = useState('');
  const [confirm, setConfirm] = useState<null | 'tag' | 'untag' | 'delete'>(null);
  const [segmentName, setSegmentName] = useState('');
  // A page that sent the person here may say what it did (an erasure).
  const location = useLocation();
  const [notice, setNotice] = useState<string | null>(
    (location.state as { notice?: string } | null)?.notice ?? null,
  );

  const contacts = pages.data?.pages.flatMap((p) => p.data) ?? [];
  const total = pages.data?.pages[0]?.total ?? null;
  const filtered = Boolean(filter.q || filter.tag_ids?.length || filter.consent || filter.segment_id);
  const { segment_id, ...plainFilter } = filter;

  const bulk = useMutation({
    mutationFn: (action: 'tag' | 'untag' | 'delete') =>
      api.contacts.bulk({
        action,
        ids: [...selected],
        ...(action === 'delete' ? {} : { tag_ids: [bulkTag] }),
      }),
    onSuccess: (r, action) => {
      const verb = { tag: 'Tagged', untag: 'Untagged', delete: 'Deleted' }[action];
      setNotice(`${verb} ${r.affected} of ${r.matched} selected contact${r.matched === 1 ? '' : 's'}.`);
      setSelected(new Set());
      setConfirm(null);
      void qc.invalidateQueries({ queryKey: ['contacts'] });
      void qc.invalidateQueries({ queryKey: ['tags'] });
    },
    onError: () => setConfirm(null),
  });
  const saveSegment = useMutation({
    mutationFn: () => api.segments.create({ name: segmentName.trim(), filter: plainFilter }),
    onSuccess: (s) => {
      setSegmentName('');
      void qc.invalidateQueries({ queryKey: ['segments'] });
      setFilter({ segment_id: s.id });
      setSearch('');
      setNotice(`Saved the segment “${s.name}”.`);
    },
  });

  const tagList = tags.data?.data ?? [];
  const toggleTag = (id: string) => {
    const ids = new Set(filter.tag_ids ?? []);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    setFilter({ ...filter, tag_ids: [...ids] });
  };
  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ ...filter, q: search.trim() || undefined });
  };
  const segment = segments.data?.data.find((s) => s.id === filter.segment_id);
  const bulkTagName = tagList.find((t) => t.id === bulkTag)?.name ?? '';

  if (!filtered && pages.isSuccess && contacts.length === 0 && !showNew) {
    return (
      <>
        <SectionPlaceholder section="contacts" />
        <div className="mt-4 flex justify-center gap-2">
          {canWrite && <Button onClick={() => setShowNew(true)}>New contact</Button>}
          {canImport && (
            <Button variant="secondary" onClick={() => navigate('/contacts/import')}>
              Import a file
            </Button>
          )}
        </div>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Contacts">
        <div className="flex flex-wrap gap-2">
          {canManage && (
            <a
              className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
              href={api.contacts.exportUrl(filter)}
              download
            >
              Export CSV
            </a>
          )}
          {canImport && (
            <Button variant="secondary" onClick={() => navigate('/contacts/import')}>
              Import
            </Button>
          )}
          {canWrite && <Button onClick={() => setShowNew((v) => !v)}>New contact</Button>}
        </div>
      </PageHeader>

      {showNew && <NewContactForm onDone={() => setShowNew(false)} />}

      <section
        aria-label="Filters"
        className="mb-4 space-y-3 rounded-lg border border-slate-200 bg-white p-4"
      >
        <div className="flex flex-wrap items-end gap-3">
          <form onSubmit={submitSearch} className="flex min-w-64 flex-1 items-end gap-2">
            <div className="flex-1">
              <Field label="Search">
                {(id) => (
                  <Input
                    id={id}
                    type="search"
                    placeholder={phonesHidden ? 'Name or a field value' : 'Name, phone or a field value'}
                    value={search}
                    onChange={(e) => setSearch(e.target.value)}
                  />
                )}
              </Field>
            </div>
            <Button type="submit" variant="secondary" aria-label="Search contacts">
              <Icon name="search" className="h-4 w-4" />
            </Button>
          </form>
          <Field label="Consent">
            {(id) => (
              <Select
                id={id}
                className="w-40"
                value={filter.consent ?? ''}
                onChange={(e) =>
                  setFilter({ ...filter, consent: (e.target.value || undefined) as ConsentState | undefined })
                }
              >
                <option value="">Any</option>
                {CONSENT_STATES.map((s) => (
                  <option key={s} value={s}>
                    {CONSENT_LABEL[s]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Segment">
            {(id) => (
              <Select
                id={id}
                className="w-48"
                value={filter.segment_id ?? ''}
                onChange={(e) => {
                  setSearch('');
                  setFilter(e.target.value ? { segment_id: e.target.value } : {});
                }}
              >
                <option value="">All contacts</option>
                {segments.data?.data.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
        {tagList.length > 0 && (
          <fieldset className="flex flex-wrap items-center gap-2">
            <legend className="sr-only">Tags</legend>
            <span className="text-sm font-medium text-slate-700">Tags</span>
            {tagList.map((t) => {
              const on = filter.tag_ids?.includes(t.id) ?? false;
              return (
                <button
                  key={t.id}
                  type="button"
                  aria-pressed={on}
                  onClick={() => toggleTag(t.id)}
                  className={`rounded-full ${on ? 'ring-2 ring-brand-600 ring-offset-1' : 'opacity-80 hover:opacity-100'}`}
                >
                  <TagChip tag={t} />
                </button>
              );
            })}
            {(filter.tag_ids?.length ?? 0) > 1 && (
              <Select
                aria-label="Tag match"
                className="w-44 py-1"
                value={filter.tag_match ?? 'any'}
                onChange={(e) =>
                  setFilter({ ...filter, tag_match: e.target.value as 'any' | 'all' | 'none' })
                }
              >
                <option value="any">any of these tags</option>
                <option value="all">all of these tags</option>
                <option value="none">none of these tags</option>
              </Select>
            )}
          </fieldset>
        )}
        {filtered && (
          <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 pt-3 text-sm">
            {segment && (
              <span className="text-slate-700">
                Segment <strong>{segment.name}</strong>
              </span>
            )}
            <Button
              variant="ghost"
              onClick={() => {
                setSearch('');
                setFilter({});
              }}
            >
              Clear filters
            </Button>
            {canWrite && !filter.segment_id && (
              <form
                className="ml-auto flex items-center gap-2"
                onSubmit={(e) => {
                  e.preventDefault();
                  saveSegment.mutate();
                }}
              >
                <Input
                  aria-label="Segment name"
                  placeholder="Name this filter"
                  className="w-48 py-1.5"
                  value={segmentName}
                  onChange={(e) => setSegmentName(e.target.value)}
                />
                <Button
                  type="submit"
                  variant="secondary"
                  disabled={!segmentName.trim() || saveSegment.isPending}
                >
                  Save as segment
                </Button>
              </form>
            )}
          </div>
        )}
        {saveSegment.error && <Alert>{errorMessage(saveSegment.error)}</Alert>}
      </section>

      {notice && (
        <div className="mb-3">
          <Alert kind="success">{notice}</Alert>
        </div>
      )}
      {bulk.error && (
        <div className="mb-3">
          <Alert>{errorMessage(bulk.error)}</Alert>
        </div>
      )}

      {canManage && selected.size > 0 && (
        <section
          aria-label="Bulk actions"
          className="mb-3 flex flex-wrap items-center gap-2 rounded-lg border border-brand-600/30 bg-brand-50 px-4 py-2 text-sm"
        >
          <span className="font-medium">{selected.size} selected</span>
          <Select
            aria-label="Tag for the selected contacts"
            className="w-44 py-1"
            value={bulkTag}
            onChange={(e) => setBulkTag(e.target.value)}
          >
            <option value="">Choose a tag…</option>
            {tagList.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </Select>
          <Button variant="secondary" disabled={!bulkTag} onClick={() => setConfirm('tag')}>
            Add tag
          </Button>
          <Button variant="secondary" disabled={!bulkTag} onClick={() => setConfirm('untag')}>
            Remove tag
          </Button>
          <Button variant="danger" className="ml-auto" onClick={() => setConfirm('delete')}>
            Delete
          </Button>
        </section>
      )}

      {pages.error && <Alert>{errorMessage(pages.error)}</Alert>}
      <Table
        caption="Contacts"
        look="card"
        className="min-w-[760px]"
        columns={CONTACT_COLUMNS}
        rows={contacts}
        rowKey={(c) => c.id}
        rowProps={() => ({ className: 'hover:bg-slate-50' })}
        selection={
          canManage
            ? {
                selected,
                onChange: setSelected,
                label: (c) => `Select ${c.name ?? c.phone}`,
                allLabel: 'Select all shown contacts',
              }
            : undefined
        }
        status={pages.status}
        loadingText="Loading contacts…"
        empty={
          <EmptyState
            title="No contacts match"
            icon={<Icon name="search" className="mx-auto h-8 w-8 text-slate-400" />}
          >
            Change the search or the filters, or clear them to see everyone.
          </EmptyState>
        }
      />
      <div className="mt-3 flex items-center justify-between text-sm text-slate-600">
        <span role="status">
          {contacts.length > 0 &&
            (total !== null ? `Showing ${contacts.length} of ${total}` : `Showing ${contacts.length}`)}
        </span>
        <div className="flex items-center gap-2">
          {canManage && total !== null && total > 0 && (
            <DeleteAllMatching
              filter={filter}
              total={total}
              filtered={filtered}
              onDeleted={(n) => {
                setNotice(`Deleted ${n} contact${n === 1 ? '' : 's'}, with their conversations and files.`);
                setSelected(new Set());
              }}
            />
          )}
          {pages.hasNextPage && (
            <Button
              variant="secondary"
              onClick={() => pages.fetchNextPage()}
              disabled={pages.isFetchingNextPage}
            >
              {pages.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </Button>
          )}
        </div>
      </div>

      <ConfirmDialog
        open={confirm !== null}
        title={
          confirm === 'delete'
            ? `Delete ${selected.size} contact${selected.size === 1 ? '' : 's'}?`
            : confirm === 'tag'
              ? `Add “${bulkTagName}” to ${selected.size} contact${selected.size === 1 ? '' : 's'}?`
              : `Remove “${bulkTagName}” from ${selected.size} contact${selected.size === 1 ? '' : 's'}?`
        }
        confirmLabel={confirm === 'delete' ? 'Delete' : confirm === 'tag' ? 'Add tag' : 'Remove tag'}
        danger={confirm === 'delete'}
        busy={bulk.isPending}
        onConfirm={() => confirm && bulk.mutate(confirm)}
        onCancel={() => setConfirm(null)}
      >
        {confirm === 'delete'
          ? 'Their conversations and files are deleted with them. Their consent history is kept. This cannot be undone.'
          : 'All selected contacts change together, or none do.'}
      </ConfirmDialog>
    </>
  );
}

function NewContactForm({ onDone }: { onDone: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api.contacts.create({ phone, ...(name.trim() ? { name: name.trim() } : {}) }),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: ['contacts'] });
      onDone();
      navigate(`/contacts/${c.id}`);
    },
  });
  return (
    <div className="mb-4">
      <Card
        title="New contact"
        description="Any common phone format; numbers without a country code are read in your organisation's region."
      >
        <form
          className="flex flex-wrap items-end gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <div className="w-56">
            <Field label="Phone">
              {(id) => (
                <Input
                  id={id}
                  required
                  value={phone}
                  onChange={(e) => setPhone(e.target.value)}
                  placeholder="+44 7400 123456"
                />
              )}
            </Field>
          </div>
          <div className="w-56">
            <Field label="Name">
              {(id) => <Input id={id} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
          </div>
          <Button type="submit" disabled={!phone.trim() || create.isPending}>
            Create contact
          </Button>
          <Button variant="ghost" onClick={onDone}>
            Cancel
          </Button>
        </form>
        {create.error && (
          <div className="mt-3">
            <Alert>{errorMessage(create.error)}</Alert>
          </div>
        )}
      </Card>
    </div>
  );
}
