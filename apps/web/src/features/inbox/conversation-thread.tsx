import { type Conversation, can, type Message, type WaNumber } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { Alert, Button, Select } from '../../components/ui.tsx';
import { HoursBadge } from '../automation/hours-status.tsx';
import { useMembers, useTeams } from '../settings/queries.ts';
import { AiBar, useConversationAi } from './ai.tsx';
import { Composer, useInboxRights } from './composer.tsx';
import { ContactPanel } from './contact-panel.tsx';
import { Avatar, Facts, WindowChip } from './conversation-list.tsx';
import { addressOf, dayLabel, windowState } from './format.ts';
import { inboxKeys } from './keys.ts';
import { MessageBubble } from './message-bubble.tsx';
import { useMessages } from './queries.ts';

/** Opening a conversation (and each new message while it is open) marks it read for this agent. */
function useMarkRead(conversationId: string, newest: string | undefined) {
  const qc = useQueryClient();
  useEffect(() => {
    if (!newest) return;
    const t = setTimeout(() => {
      api.conversations
        .read(conversationId)
        .then(() => qc.invalidateQueries({ queryKey: inboxKeys.lists }))
        .catch(() => {});
    }, 300);
    return () => clearTimeout(t);
  }, [conversationId, newest, qc]);
}

/** Snooze choices: it opens again by itself then, or when the customer writes. */
const SNOOZES = [
  ['1h', '1 hour'],
  ['tomorrow', 'until tomorrow 9:00'],
  ['1d', '1 day'],
  ['1w', '1 week'],
] as const;
export function snoozeUntil(choice: string, now: Date): Date {
  if (choice === 'tomorrow') {
    const d = new Date(now);
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return d;
  }
  const hours = choice === '1h' ? 1 : choice === '1w' ? 24 * 7 : 24;
  return new Date(now.getTime() + hours * 3600_000);
}

const STATUSES = [
  ['open', 'Open'],
  ['pending', 'Pending'],
  ['resolved', 'Resolved'],
] as const;

/** Who owns the conversation and where it stands; agents and above change them. */
function TeamControls({ conversation: c }: { conversation: Conversation }) {
  const { canReply } = useInboxRights();
  const qc = useQueryClient();
  const members = useMembers({ enabled: canReply });
  const done = () => qc.invalidateQueries({ queryKey: inboxKeys.lists });
  const teams = useTeams({ enabled: canReply });
  const assign = useMutation({
    mutationFn: (v: string) =>
      v.startsWith('team:')
        ? api.conversations.assign(c.id, 'round_robin', v.slice(5))
        : api.conversations.assign(c.id, v === '' ? null : v),
    onSuccess: done,
  });
  const status = useMutation({
    mutationFn: (v: string) =>
      v.startsWith('snoozed:')
        ? api.conversations.setStatus(c.id, 'snoozed', snoozeUntil(v.slice(8), new Date()).toISOString())
        : api.conversations.setStatus(c.id, v),
    onSuccess: done,
  });
  if (!canReply) {
    return (
      <span className="hidden text-xs text-slate-600 sm:inline">
        {c.assignee ? `Assigned to ${c.assignee.name ?? c.assignee.email}` : 'Unassigned'} · {c.status}
      </span>
    );
  }
  const agents = (members.data?.data ?? []).filter((m) => can(m.role, 'conversations.reply'));
  return (
    <div className="flex shrink-0 items-center gap-2">
      <Select
        aria-label="Assignee"
        className="w-40 text-xs"
        value={c.assignee?.id ?? ''}
        disabled={assign.isPending}
        title={assign.isPending ? 'Assigning…' : undefined}
        onChange={(e) => assign.mutate(e.target.value)}
      >
        <option value="">Unassigned</option>
        <option value="round_robin">Next agent (round-robin)</option>
        {(teams.data?.data ?? []).map((t) => (
          <option key={t.id} value={`team:${t.id}`}>
            Next in {t.name}
          </option>
        ))}
        {c.assignee && !agents.some((m) => m.user_id === c.assignee?.id) && (
          <option value={c.assignee.id}>{c.assignee.name ?? c.assignee.email}</option>
        )}
        {agents.map((m) => (
          <option key={m.user_id} value={m.user_id}>
            {m.name || m.email}
          </option>
        ))}
      </Select>
      <Select
        aria-label="Status"
        className="w-32 text-xs"
        value={c.status}
        disabled={status.isPending}
        title={status.isPending ? 'Changing the status…' : undefined}
        onChange={(e) => status.mutate(e.target.value)}
      >
        {STATUSES.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
        {c.status === 'snoozed' && (
          <option value="snoozed" disabled>
            Snoozed{c.snoozed_until ? ` until ${new Date(c.snoozed_until).toLocaleString()}` : ''}
          </option>
        )}
        {SNOOZES.map(([k, label]) => (
          <option key={k} value={`snoozed:${k}`}>
            Snooze {label}
          </option>
        ))}
      </Select>
      {(assign.error || status.error) && (
        <span role="alert" className="text-xs text-red-700">
          {errorMessage(assign.error ?? status.error)}
        </span>
      )}
    </div>
  );
}

/** One conversation, oldest at the top and newest at the bottom; "Load older" pages back. */
export function ConversationThread({
  conversationId,
  conversation,
  number,
  now,
}: {
  conversationId: string;
  /** From the list; absent when the conversation is not on the loaded pages of the list. */
  conversation: Conversation | undefined;
  number: WaNumber | undefined;
  now: number;
}) {
  const q = useMessages(conversationId);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const beforeOlder = useRef<{ height: number; top: number } | null>(null);

  const messages = useMemo(() => (q.data?.pages.flatMap((p) => p.data) ?? []).reverse(), [q.data]);
  const byWamid = useMemo(() => new Map(messages.map((m) => [m.wamid, m])), [messages]);
  const newest = messages[messages.length - 1]?.id;
  const oldest = messages[0]?.id;

  // A new message scrolls into view unless the reader has scrolled up to read older ones.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the newest message changes
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [newest]);
  // Older messages are added above: keep what the reader was looking at in place.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the oldest message changes
  useLayoutEffect(() => {
    const el = scroller.current;
    const before = beforeOlder.current;
    if (el && before) el.scrollTop = el.scrollHeight - before.height + before.top;
    beforeOlder.current = null;
  }, [oldest]);

  const loadOlder = () => {
    const el = scroller.current;
    if (el) beforeOlder.current = { height: el.scrollHeight, top: el.scrollTop };
    void q.fetchNextPage();
  };

  const c = conversation;
  const title = c ? (c.contact.name ?? addressOf(c.contact)) : 'Conversation';
  const windowOpen = c ? windowState(c.window_expires_at, now).open : false;
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  // Another conversation: nothing is being answered there yet.
  // biome-ignore lint/correctness/useExhaustiveDependencies: resets when the conversation changes
  useEffect(() => setReplyTo(null), [conversationId]);
  const [details, setDetails] = useState(() => localStorage.getItem('openwaba:inbox-details') === '1');
  const toggleDetails = () => {
    localStorage.setItem('openwaba:inbox-details', details ? '0' : '1');
    setDetails(!details);
  };
  useMarkRead(conversationId, newest);
  const ai = useConversationAi(conversationId).data;
  let day = '';
  return (
    <>
      <header className="flex flex-wrap items-center gap-x-3 gap-y-2 border-b border-slate-200 bg-white px-4 py-2.5">
        <Link
          to="/inbox"
          className="-ml-1 rounded p-1 text-slate-600 hover:bg-slate-100 md:hidden"
          aria-label="All conversations"
        >
          <Icon name="back" />
        </Link>
        {c && <Avatar name={c.contact.name} waId={c.contact.wa_id} size="lg" />}
        {/* The name keeps room to be read; the controls wrap below it when the pane is narrow. */}
        <div className="min-w-[12rem] flex-1">
          <h2 className="truncate font-semibold text-slate-900">{title}</h2>
          {c && (
            <Facts>
              {c.contact.name ? <span>{addressOf(c.contact)}</span> : null}
              {number ? <span>to {number.display_name}</span> : null}
            </Facts>
          )}
        </div>
        {c && (
          <span className="hidden shrink-0 rounded-full border border-slate-200 px-2.5 py-1 text-xs sm:inline-flex">
            <WindowChip expiresAt={c.window_expires_at} now={now} />
          </span>
        )}
        {c && number && <HoursBadge numberId={number.id} />}
        {c && <TeamControls conversation={c} />}
        {c && (
          <Button
            variant={details ? 'secondary' : 'ghost'}
            className="shrink-0 px-2"
            aria-label="Contact details"
            aria-pressed={details}
            title="Contact details"
            onClick={toggleDetails}
          >
            <Icon name="panel" />
          </Button>
        )}
      </header>
      <div className="relative flex min-h-0 flex-1">
        <div className="flex min-w-0 flex-1 flex-col">
          <div
            ref={scroller}
            onScroll={(e) => {
              const el = e.currentTarget;
              atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
            }}
            className="relative min-h-0 flex-1 overflow-y-auto bg-stone-100 px-3 py-3 sm:px-6"
          >
            {q.isPending && (
              <p className="py-10 text-center text-sm text-slate-500" role="status">
                Loading messages…
              </p>
            )}
            {q.error && (
              <div className="mx-auto max-w-md py-6">
                <Alert>
                  {q.error instanceof ApiError && q.error.status === 404
                    ? 'This conversation does not exist, or belongs to another organisation.'
                    : errorMessage(q.error)}
                </Alert>
              </div>
            )}
            {q.hasNextPage && (
              <div className="mb-3 text-center">
                <Button
                  variant="secondary"
                  onClick={loadOlder}
                  disabledReason={q.isFetchingNextPage && 'Loading…'}
                >
                  {q.isFetchingNextPage ? 'Loading…' : 'Load older messages'}
                </Button>
              </div>
            )}
            {q.isSuccess && messages.length === 0 && (
              <p className="py-10 text-center text-sm text-slate-500">
                No messages in this conversation yet.
              </p>
            )}
            <ol className="space-y-1.5" aria-label="Messages" role="log">
              {messages.map((m) => {
                const label = dayLabel(m.sent_at, new Date(now));
                const separator = label !== day;
                day = label;
                const ref =
                  m.type === 'reaction'
                    ? (m.content.reaction as Record<string, unknown> | undefined)?.message_id
                    : m.context_wamid;
                const quoted = typeof ref === 'string' ? byWamid.get(ref) : undefined;
                return (
                  <Fragment key={m.id}>
                    {separator && (
                      <li className="flex justify-center py-2">
                        <span className="rounded-md bg-white/90 px-2.5 py-0.5 text-xs font-medium text-slate-600 shadow-sm">
                          {label}
                        </span>
                      </li>
                    )}
                    <MessageBubble
                      m={m}
                      quoted={quoted}
                      conversationId={conversationId}
                      windowOpen={windowOpen}
                      onReply={setReplyTo}
                      ai={ai}
                    />
                  </Fragment>
                );
              })}
            </ol>
          </div>
          {ai && <AiBar conversationId={conversationId} ai={ai} />}
          {c && (
            <Composer
              conversation={c}
              now={now}
              replyTo={replyTo}
              onClearReply={() => setReplyTo(null)}
              ai={ai}
              lastMessage={messages[messages.length - 1]}
            />
          )}
        </div>
        {c && details && <ContactPanel conversation={c} onClose={toggleDetails} />}
      </div>
    </>
  );
}
