import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { FilterSelect, SearchBox, ToggleChip } from '../../components/filters.tsx';
import { Icon } from '../../components/icons.tsx';
import { Alert, PageHeader } from '../../components/ui.tsx';
import { useTags } from '../contacts/queries.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import { SectionPlaceholder } from '../sections/empty-sections.tsx';
import { aiKeys } from '../settings/keys.ts';
import { ConversationList } from './conversation-list.tsx';
import { ConversationThread } from './conversation-thread.tsx';
import { useNow } from './format.ts';
import { type ConversationFilters, useConversations } from './queries.ts';

type Status = NonNullable<ConversationFilters['status']>;
type Assigned = NonNullable<ConversationFilters['assigned']>;

const STATUS_FILTERS: [Status | '', string][] = [
  ['', 'All statuses'],
  ['open', 'Open'],
  ['pending', 'Pending'],
  ['resolved', 'Resolved'],
  ['snoozed', 'Snoozed'],
];
const ASSIGNED: [Assigned, string][] = [
  ['all', 'All'],
  ['me', 'Mine'],
  ['unassigned', 'Unassigned'],
];

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

const ASSIGNED_KEY = 'openwaba:inbox-assigned';

/**
 * The inbox: conversations on the left, the selected one (its id in the URL) on the right. Both
 * follow the realtime stream, so new messages and statuses appear without a reload.
 */
export function InboxPage() {
  const { conversationId } = useParams();
  const [searchText, setSearchText] = useState('');
  const [numberId, setNumberId] = useState('');
  // Whose conversations: the agent's own choice is kept in this browser (an agent working from
  // "Mine" opens the inbox on it next time).
  const [assigned, setAssignedState] = useState<Assigned>(() => {
    const kept = localStorage.getItem(ASSIGNED_KEY);
    return kept === 'me' || kept === 'unassigned' ? kept : 'all';
  });
  const setAssigned = (v: Assigned) => {
    localStorage.setItem(ASSIGNED_KEY, v);
    setAssignedState(v);
  };
  const [status, setStatus] = useState<Status | ''>('');
  const [tagId, setTagId] = useState('');
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [label, setLabel] = useState('');
  // The AI's intent labels, when the organisation labels its customers' messages.
  const ai = useQuery({ queryKey: aiKeys.settings, queryFn: () => api.ai.settings(), staleTime: 60_000 });
  const labels = ai.data?.configured && ai.data.labels_enabled ? ai.data.labels : [];
  const search = useDebounced(searchText.trim(), 300);
  const filters: ConversationFilters = {
    search: search || undefined,
    number_id: numberId || undefined,
    assigned,
    status: status || undefined,
    tag_id: tagId || undefined,
    unread: unreadOnly || undefined,
    label: label || undefined,
  };
  const filtered = Boolean(
    search || numberId || assigned !== 'all' || status || tagId || unreadOnly || label,
  );
  const list = useConversations(filters);
  const listScroller = useRef<HTMLDivElement>(null);
  const tags = useTags();
  const tagList = tags.data?.data ?? [];
  const numbers = useNumbers();
  const now = useNow();

  const numberList = numbers.data?.data ?? [];
  const numbersById = useMemo(
    () => new Map((numbers.data?.data ?? []).map((n) => [n.id, n])),
    [numbers.data],
  );
  const conversations = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  const selected = conversations.find((c) => c.id === conversationId);

  if (list.isSuccess && !filtered && !list.isPlaceholderData && !conversations.length && !conversationId) {
    return <SectionPlaceholder section="inbox" />;
  }

  return (
    <>
      <PageHeader title="Inbox" />
      <div className="flex h-[calc(100dvh-13rem)] min-h-[26rem] overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm md:h-[calc(100dvh-9.75rem)]">
        <section
          aria-label="Conversation list"
          className={`${conversationId ? 'hidden md:flex' : 'flex'} w-full shrink-0 flex-col border-slate-200 md:w-80 md:border-r lg:w-96`}
        >
          <div className="space-y-2 border-b border-slate-200 p-3">
            <SearchBox
              label="Search conversations"
              labelHidden
              placeholder="Search name, phone or messages"
              value={searchText}
              onChange={setSearchText}
            />
            <div className="flex flex-wrap items-center justify-between gap-1">
              <fieldset aria-label="Whose conversations" className="flex gap-1">
                {ASSIGNED.map(([v, label]) => (
                  <ToggleChip key={v} pressed={assigned === v} onClick={() => setAssigned(v)}>
                    {label}
                  </ToggleChip>
                ))}
              </fieldset>
              <ToggleChip pressed={unreadOnly} onClick={() => setUnreadOnly((v) => !v)}>
                Unread only
              </ToggleChip>
            </div>
            <div className="grid grid-cols-2 gap-2">
              <div className={tagList.length ? '' : 'col-span-2'}>
                <FilterSelect
                  label="Filter by status"
                  labelPlacement="hidden"
                  value={status}
                  options={STATUS_FILTERS}
                  onChange={setStatus}
                />
              </div>
              {tagList.length > 0 && (
                <FilterSelect
                  label="Filter by tag"
                  labelPlacement="hidden"
                  value={tagId}
                  options={[['', 'All tags'], ...tagList.map((t): [string, string] => [t.id, t.name])]}
                  onChange={setTagId}
                />
              )}
            </div>
            {numberList.length > 0 && (
              <FilterSelect
                label="Number"
                labelPlacement="hidden"
                value={numberId}
                options={[
                  ['', 'All numbers'],
                  ...numberList.map((n): [string, string] => [
                    n.id,
                    `${n.display_name}${n.health.display_phone_number ? ` (${n.health.display_phone_number})` : ''}`,
                  ]),
                ]}
                onChange={setNumberId}
              />
            )}
            {labels.length > 0 && (
              <FilterSelect
                label="Filter by intent"
                labelPlacement="hidden"
                value={label}
                options={[['', 'All intents (AI labels)'], ...labels.map((l): [string, string] => [l, l])]}
                onChange={setLabel}
              />
            )}
          </div>
          <div
            ref={listScroller}
            className="relative min-h-0 flex-1 overflow-y-auto"
            aria-busy={list.isFetching}
          >
            {list.isPending && (
              <p className="p-6 text-center text-sm text-slate-500" role="status">
                Loading conversations…
              </p>
            )}
            {list.error && (
              <div className="p-3">
                <Alert>{errorMessage(list.error)}</Alert>
              </div>
            )}
            {list.isSuccess && conversations.length === 0 && (
              <p className="p-6 text-center text-sm text-slate-500">
                {search
                  ? `No conversations match “${search}”.`
                  : filtered
                    ? 'No conversations match these filters.'
                    : 'No conversations on this number yet.'}
              </p>
            )}
            <ConversationList
              conversations={conversations}
              selectedId={conversationId}
              numbers={numbersById}
              now={now}
              hasMore={Boolean(list.hasNextPage)}
              loadingMore={list.isFetchingNextPage}
              // Waits for a refetch in flight (a live update) instead of cancelling it.
              onLoadMore={() => void list.fetchNextPage({ cancelRefetch: false })}
              scrollRef={listScroller}
              resetKey={JSON.stringify(filters)}
            />
          </div>
        </section>
        <section
          aria-label="Conversation"
          className={`${conversationId ? 'flex' : 'hidden md:flex'} min-w-0 flex-1 flex-col`}
        >
          {conversationId ? (
            <ConversationThread
              key={conversationId}
              conversationId={conversationId}
              conversation={selected}
              number={selected ? numbersById.get(selected.number_id) : undefined}
              now={now}
            />
          ) : (
            <div className="flex flex-1 flex-col items-center justify-center bg-stone-50 p-8 text-center">
              <Icon name="inbox" className="h-10 w-10 text-brand-600" />
              <p className="mt-3 font-medium text-slate-800">Select a conversation</p>
              <p className="mt-1 max-w-xs text-sm text-slate-500">
                Customer messages arrive here live, with photos, documents, locations and delivery ticks.
              </p>
            </div>
          )}
        </section>
      </div>
    </>
  );
}
