import type { Contact } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { type Column, RowLink, Table } from '../../components/table.tsx';
import { Alert, Button, DownloadLink, EmptyState, PageHeader, Select } from '../../components/ui.tsx';
import { addressOf } from '../inbox/format.ts';
import { SectionPlaceholder } from '../sections/empty-sections.tsx';
import { isFiltered, useContactFilter } from './contact-filter.ts';
import { ContactsFilters } from './contacts-filters.tsx';
import { DeleteAllMatching } from './delete-all-matching.tsx';
import { contactKeys, tagKeys } from './keys.ts';
import { NewContactForm } from './new-contact-form.tsx';
import { ConfirmDialog, ConsentBadge, dateOnly, dateTime, shortWhen, TagChip } from './parts.tsx';
import { useContactPages, useContactRights, useTags } from './queries.ts';

const CONTACT_COLUMNS: Column<Contact>[] = [
  {
    header: 'Name',
    cell: (c) => (
      <RowLink to={`/contacts/${c.id}`}>
        {c.name || <span className="text-slate-500 italic">No name</span>}
      </RowLink>
    ),
  },
  { header: 'Phone', className: 'whitespace-nowrap tabular-nums', cell: (c) => addressOf(c) },
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
    cell: (c) => (
      <span title={dateTime(c.last_message_at)} data-testid="last-message">
        {c.last_message_at ? shortWhen(c.last_message_at) : '—'}
      </span>
    ),
  },
  {
    header: 'Created',
    className: 'whitespace-nowrap text-slate-600',
    cell: (c) => <span title={dateTime(c.created_at)}>{dateOnly(c.created_at)}</span>,
  },
];

export function ContactsPage() {
  const [filter, setFilter] = useContactFilter();
  const { canWrite, canManage, canImport } = useContactRights();
  const pages = useContactPages(filter);
  const tags = useTags();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [showNew, setShowNew] = useState(false);
  const [bulkTag, setBulkTag] = useState('');
  const [confirm, setConfirm] = useState<null | 'tag' | 'untag' | 'delete'>(null);
  // A page that sent the person here may say what it did (an erasure).
  const location = useLocation();
  const [notice, setNotice] = useState<string | null>(
    (location.state as { notice?: string } | null)?.notice ?? null,
  );

  const contacts = pages.data?.pages.flatMap((p) => p.data) ?? [];
  const total = pages.data?.pages[0]?.total ?? null;
  const filtered = isFiltered(filter);

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
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: tagKeys.all });
    },
    onError: () => setConfirm(null),
  });
  const tagList = tags.data?.data ?? [];
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
          {canManage && <DownloadLink href={api.contacts.exportUrl(filter)}>Export CSV</DownloadLink>}
          {canImport && (
            <Button variant="secondary" onClick={() => navigate('/contacts/import')}>
              Import
            </Button>
          )}
          {canWrite && <Button onClick={() => setShowNew((v) => !v)}>New contact</Button>}
        </div>
      </PageHeader>

      {showNew && <NewContactForm onDone={() => setShowNew(false)} />}

      <ContactsFilters filter={filter} setFilter={setFilter} onNotice={setNotice} />

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
