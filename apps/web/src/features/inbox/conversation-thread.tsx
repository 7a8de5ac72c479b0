import { type Conversation, can, type Message, type WaNumber } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon, type IconName } from '../../components/icons.tsx';
import { Alert, Button, Select } from '../../components/ui.tsx';
import { useMembers, useTeams } from '../settings/queries.ts';
import { Composer, useInboxRights } from './composer.tsx';
import { ContactPanel } from './contact-panel.tsx';
import { Avatar, Facts, WindowChip } from './conversation-list.tsx';
import { clockTime, dayLabel, phoneOf, windowState } from './format.ts';
import { inboxKeys } from './keys.ts';
import { MessageContent, previewOf } from './message-content.tsx';
import { useMessages } from './queries.ts';

const STATUS_LABEL: Record<string, string> = {
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  played: 'Played',
  failed: 'Not delivered',
};

/** ✓ sent, ✓✓ delivered, blue ✓✓ read, as in WhatsApp; a clock until Meta accepts it. */
function Ticks({ status }: { status: string | null }) {
  const label = status ? (STATUS_LABEL[status] ?? status) : 'Sending';
  const icon =
    status === 'failed'
      ? { name: 'alert' as const, cls: 'text-red-600' }
      : status === 'read' || status === 'played'
        ? { name: 'check-double' as const, cls: 'text-sky-500' }
        : status === 'delivered'
          ? { name: 'check-double' as const, cls: 'text-slate-500' }
          : status === 'sent'
            ? { name: 'check' as const, cls: 'text-slate-500' }
            : { name: 'clock' as const, cls: 'text-slate-400' };
  return (
    <span title={label} className={icon.cls}>
      <Icon name={icon.name} className="h-4 w-4" />
      <span className="sr-only">{label}</span>
    </span>
  );
}

/** Meta's error on a failed outbound message, in words, with its code for support. */
function sendError(error: unknown): string {
  const e = error && typeof error === 'object' ? (error as Record<string, unknown>) : {};
  const detail = (e.error_data as Record<string, unknown> | undefined)?.details;
  const text = [e.title, e.message, detail].find((v) => typeof v === 'string' && v) as string | undefined;
  const code = typeof e.code === 'number' || typeof e.code === 'string' ? ` (Meta error ${e.code})` : '';
  return `${text ?? 'Not delivered'}${code}`;
}

const REACTIONS = ['👍', '❤️', '😂', '😮', '🙏', '👏'];

/** A small icon button under a message. */
function ActionIcon({ label, icon, onClick }: { label: string; icon: IconName; onClick: () => void }) {
  return (
    <button
      type="button"
      className="rounded p-0.5 text-slate-400 hover:bg-black/5 hover:text-slate-700"
      aria-label={label}
      title={label}
      onClick={onClick}
    >
      <Icon name={icon} className="h-4 w-4" />
    </button>
  );
}

/** What an agent can do to a message: react (inside the window), send a failed one again. */
function MessageActions({
  m,
  conversationId,
  windowOpen,
  onReply,
}: {
  m: Message;
  conversationId: string;
  windowOpen: boolean;
  onReply: (m: Message) => void;
}) {
  const { canReply } = useInboxRights();
  const qc = useQueryClient();
  const [picking, setPicking] = useState(false);
  const done = () => {
    setPicking(false);
    void qc.invalidateQueries({ queryKey: inboxKeys.messages(conversationId) });
    void qc.invalidateQueries({ queryKey: inboxKeys.lists });
  };
  const react = useMutation({
    mutationFn: (emoji: string) => api.conversations.react(conversationId, m.id, emoji),
    onSuccess: done,
  });
  const retry = useMutation({
    mutationFn: () => api.conversations.retry(conversationId, m.id),
    onSuccess: done,
  });
  if (!canReply) return null;
  const failed = m.direction === 'out' && m.status === 'failed';
  const reactable = windowOpen && Boolean(m.wamid) && m.type !== 'reaction' && m.status !== 'failed';
  const error = react.error ?? retry.error;
  return (
    <div className="mt-1 flex flex-wrap items-center gap-1 text-xs">
      {failed && (
        <button
          type="button"
          className="rounded border border-red-300 bg-white px-1.5 py-0.5 text-red-700 hover:bg-red-50"
          disabled={retry.isPending}
          onClick={() => retry.mutate()}
        >
          {retry.isPending ? 'Sending again…' : 'Retry'}
        </button>
      )}
      {reactable && !picking && (
        <>
          <ActionIcon label="Reply to this message" icon="reply" onClick={() => onReply(m)} />
          <ActionIcon label="React" icon="smile" onClick={() => setPicking(true)} />
        </>
      )}
      {picking && (
        <fieldset aria-label="Reactions" className="flex gap-0.5 rounded-full border-0 bg-white px-1 shadow">
          {REACTIONS.map((e) => (
            <button
              key={e}
              type="button"
              className="rounded-full px-1 text-base leading-6 hover:bg-slate-100"
              aria-label={`React ${e}`}
              disabled={react.isPending}
              onClick={() => react.mutate(e)}
            >
              {e}
            </button>
          ))}
          <button
            type="button"
            className="px-1 text-slate-500"
            aria-label="Cancel"
            onClick={() => setPicking(false)}
          >
            ×
          </button>
        </fieldset>
      )}
      {error && (
        <span role="alert" className="text-red-700">
          {errorMessage(error)}
        </span>
      )}
    </div>
  );
}

function Bubble({
  m,
  quoted,
  conversationId,
  windowOpen,
  onReply,
}: {
  m: Message;
  quoted: Message | undefined;
  conversationId: string;
  windowOpen: boolean;
  onReply: (m: Message) => void;
}) {
  const out = m.direction === 'out';
  const forwarded = Boolean((m.content.context as Record<string, unknown> | undefined)?.forwarded);
  return (
    <li className={`flex ${out ? 'justify-end' : 'justify-start'}`} data-message={m.id}>
      <div
        className={`max-w-[85%] rounded-lg px-3 py-1.5 text-sm text-slate-900 shadow-sm sm:max-w-[70%] ${
          out ? 'rounded-tr-sm bg-[#d9fdd3]' : 'rounded-tl-sm bg-white'
        }`}
      >
        <span className="sr-only">{out ? 'You:' : 'Customer:'} </span>
        {forwarded && <p className="mb-0.5 text-xs text-slate-500 italic">Forwarded</p>}
        {quoted && m.type !== 'reaction' && (
          <blockquote className="mb-1 truncate rounded border-l-4 border-brand-600 bg-black/5 px-2 py-1 text-xs text-slate-600">
            <span className="block font-medium text-brand-700">
              {quoted.direction === 'out' ? 'You' : 'Customer'}
            </span>
            {previewOf(quoted)}
          </blockquote>
        )}
        <MessageContent m={m} quoted={quoted} />
        <p className="mt-0.5 flex items-center justify-end gap-1 text-[11px] text-slate-500">
          <time dateTime={m.sent_at} title={new Date(m.sent_at).toLocaleString()}>
            {clockTime(m.sent_at)}
          </time>
          {out && <Ticks status={m.status} />}
        </p>
        {out && m.status === 'failed' && (
          <p className="mt-1 border-t border-red-200 pt-1 text-xs text-red-700">{sendError(m.error)}</p>
        )}
        <MessageActions m={m} conversationId={conversationId} windowOpen={windowOpen} onReply={onReply} />
      </div>
    </li>
  );
}

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
  const title = c ? (c.contact.name ?? phoneOf(c.contact.wa_id)) : 'Conversation';
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
  let day = '';
  return (
    <>
      <header className="flex items-center gap-3 border-b border-slate-200 bg-white px-4 py-2.5">
        <Link
          to="/inbox"
          className="-ml-1 rounded p-1 text-slate-600 hover:bg-slate-100 md:hidden"
          aria-label="All conversations"
        >
          <Icon name="back" />
        </Link>
        {c && <Avatar name={c.contact.name} waId={c.contact.wa_id} size="lg" />}
        <div className="min-w-0 flex-1">
          <h2 className="truncate font-semibold text-slate-900">{title}</h2>
          {c && (
            <Facts>
              {c.contact.name ? <span>{phoneOf(c.contact.wa_id)}</span> : null}
              {number ? <span>to {number.display_name}</span> : null}
            </Facts>
          )}
        </div>
        {c && (
          <span className="hidden shrink-0 rounded-full border border-slate-200 px-2.5 py-1 text-xs sm:inline-flex">
            <WindowChip expiresAt={c.window_expires_at} now={now} />
          </span>
        )}
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
                <Button variant="secondary" onClick={loadOlder} disabled={q.isFetchingNextPage}>
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
                    <Bubble
                      m={m}
                      quoted={quoted}
                      conversationId={conversationId}
                      windowOpen={windowOpen}
                      onReply={setReplyTo}
                    />
                  </Fragment>
                );
              })}
            </ol>
          </div>
          {c && (
            <Composer conversation={c} now={now} replyTo={replyTo} onClearReply={() => setReplyTo(null)} />
          )}
        </div>
        {c && details && <ContactPanel conversation={c} onClose={toggleDetails} />}
      </div>
    </>
  );
}
