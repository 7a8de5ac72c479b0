import type { ConversationAi, Message } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Icon, type IconName } from '../../components/icons.tsx';
import { AiSources } from './ai.tsx';
import { useInboxRights } from './composer.tsx';
import { clockTime } from './format.ts';
import { inboxKeys } from './keys.ts';
import { MessageContent, previewOf } from './message-content.tsx';

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
          title={retry.isPending ? 'Sending again…' : undefined}
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
              title={react.isPending ? 'Sending your reaction…' : undefined}
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

/** One message as a WhatsApp bubble: quote, content, time and ticks, the send error, its actions. */
export function MessageBubble({
  m,
  quoted,
  conversationId,
  windowOpen,
  onReply,
  ai,
}: {
  m: Message;
  quoted: Message | undefined;
  conversationId: string;
  windowOpen: boolean;
  onReply: (m: Message) => void;
  /** The conversation's AI: sources of AI replies, labels of the customer's messages. */
  ai?: ConversationAi | undefined;
}) {
  const out = m.direction === 'out';
  const sources = ai?.sources[m.id] ?? [];
  const label = out ? undefined : ai?.labels[m.id];
  const forwarded = Boolean((m.content.context as Record<string, unknown> | undefined)?.forwarded);
  return (
    <li className={`flex ${out ? 'justify-end' : 'justify-start'}`} data-message={m.id}>
      <div
        className={`max-w-[85%] rounded-lg px-3 py-1.5 text-sm text-slate-900 shadow-sm sm:max-w-[70%] ${
          out ? 'rounded-tr-sm bg-[#d9fdd3]' : 'rounded-tl-sm bg-white'
        }`}
      >
        <span className="sr-only">{out ? 'You:' : 'Customer:'} </span>
        {m.source === 'business_app' && (
          <p className="mb-0.5 flex items-center gap-1 text-xs text-slate-500" data-origin="business_app">
            <Icon name="phone" className="h-3 w-3" />
            Sent from the WhatsApp Business app
          </p>
        )}
        {m.source === 'ai' && (
          <p className="mb-0.5 flex items-center gap-1 text-xs text-slate-500" data-origin="ai">
            <span className="rounded bg-violet-100 px-1.5 py-px text-[10px] font-semibold tracking-wide text-violet-800">
              AI
            </span>
            Written by the AI
          </p>
        )}
        {m.source === 'history' && (
          <p className="mb-0.5 text-xs text-slate-500 italic" data-origin="history">
            From the WhatsApp Business app's history
          </p>
        )}
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
        {m.source === 'ai' && <AiSources titles={[...new Set(sources.map((x) => x.title))]} />}
        {label && (
          <p className="mt-0.5">
            <span
              className="rounded-full bg-violet-100 px-2 py-px text-[11px] font-medium text-violet-800"
              data-testid="ai-label"
              title="The AI's label for this message"
            >
              {label}
            </span>
          </p>
        )}
        {out && m.status === 'failed' && (
          <p className="mt-1 border-t border-red-200 pt-1 text-xs text-red-700">{sendError(m.error)}</p>
        )}
        <MessageActions m={m} conversationId={conversationId} windowOpen={windowOpen} onReply={onReply} />
      </div>
    </li>
  );
}
