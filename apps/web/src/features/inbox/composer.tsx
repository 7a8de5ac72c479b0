import type { Conversation, ConversationAi, Message, QuickReply, Template } from '@openwaba/contracts';
import { renderTemplate, SENDABLE_MEDIA, templateVariables } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { Alert, Button, Input, Select } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import { useQuickReplies } from '../settings/queries.ts';
import { templateKeys } from '../templates/keys.ts';
import { previewTemplate, TemplateBubble } from '../templates/template-bubble.tsx';
import { defOf, mappingKey, variableLabel } from '../templates/variables.ts';
import { awaitsAnswer, SuggestReply, suggestAllowed } from './ai.tsx';
import { useDraft } from './drafts.ts';
import { windowState } from './format.ts';
import { inboxKeys } from './keys.ts';
import { previewOf } from './message-content.tsx';

export function useInboxRights() {
  const me = useMe();
  return {
    canReply: me.data?.permissions.includes('conversations.reply') ?? false,
    userId: me.data?.user.id,
  };
}

/**
 * Replies to the customer. Inside the 24-hour window: text, with `/shortcut` quick replies filled in
 * for the contact. Outside it the text box is locked and an approved template is offered instead,
 * with its variables and a preview. The server enforces the same rule.
 */
export function Composer({
  conversation,
  now,
  replyTo,
  onClearReply,
  ai,
  lastMessage,
}: {
  conversation: Conversation;
  now: number;
  /** The message being answered (quoted on WhatsApp), chosen with Reply on a bubble. */
  replyTo?: Message | null;
  onClearReply?: () => void;
  /** The conversation's AI, for "Suggest a reply". */
  ai?: ConversationAi | undefined;
  /** The newest message of the thread: a suggestion answers the customer's text. */
  lastMessage?: Message | undefined;
}) {
  const { canReply } = useInboxRights();
  const open = windowState(conversation.window_expires_at, now).open;
  if (!canReply) {
    return (
      <p className="border-t border-slate-200 bg-white px-4 py-2.5 text-xs text-slate-600">
        Viewers read conversations; replying needs the agent role.
      </p>
    );
  }
  return open ? (
    <TextComposer
      conversation={conversation}
      replyTo={replyTo ?? null}
      onClearReply={onClearReply}
      suggest={suggestAllowed(ai)}
      awaitsAnswer={awaitsAnswer(lastMessage)}
      autoDraftFor={
        ai?.mode === 'suggest' && !ai.budget_spent && awaitsAnswer(lastMessage) ? lastMessage?.id : undefined
      }
    />
  ) : (
    <TemplateComposer conversation={conversation} />
  );
}

/** A typing indicator shows up to 25 s on WhatsApp: telling the server every 20 s keeps it up. */
const TYPING_EVERY_MS = 20_000;

/**
 * While the agent types, the customer sees "typing…": the server marks their last message read with
 * a typing indicator (only when the organisation sends read receipts). Debounced: at most one
 * request every 20 s per conversation; a failure is ignored (it is a courtesy, never in the way).
 */
export function useTypingIndicator(conversationId: string) {
  const last = useRef<{ id: string; at: number }>({ id: '', at: 0 });
  return () => {
    const now = Date.now();
    if (last.current.id === conversationId && now - last.current.at < TYPING_EVERY_MS) return;
    last.current = { id: conversationId, at: now };
    api.conversations.typing(conversationId).catch(() => {});
  };
}

function useSend(conversationId: string, onSent: () => void, replyTo?: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (content: Record<string, unknown>) =>
      api.conversations.reply(conversationId, {
        content: content as never,
        ...(replyTo ? { reply_to: replyTo } : {}),
      }),
    onSuccess: () => {
      onSent();
      void qc.invalidateQueries({ queryKey: inboxKeys.messages(conversationId) });
      void qc.invalidateQueries({ queryKey: inboxKeys.lists });
    },
  });
}

function TextComposer({
  conversation,
  replyTo,
  onClearReply,
  suggest,
  awaitsAnswer: waiting,
  autoDraftFor,
}: {
  conversation: Conversation;
  replyTo: Message | null;
  onClearReply?: (() => void) | undefined;
  /** The AI may draft replies here. */
  suggest: boolean;
  /** The customer's text is the newest message. */
  awaitsAnswer: boolean;
  /** Suggest mode: the customer's message a draft is written for by itself (once). */
  autoDraftFor?: string | undefined;
}) {
  const qc = useQueryClient();
  const { userId } = useInboxRights();
  const [text, setText] = useDraft(userId, conversation.id);
  const typing = useTypingIndicator(conversation.id);
  const send = useSend(
    conversation.id,
    () => {
      setText('');
      onClearReply?.();
    },
    replyTo?.id,
  );
  const quick = useQuickReplies();
  const slash = /^\/([a-z0-9_-]*)$/.exec(text.trim());
  const matches = slash ? (quick.data?.data ?? []).filter((q) => q.shortcut.startsWith(slash[1]!)) : [];
  const [missing, setMissing] = useState<string[]>([]);
  const insert = async (q: QuickReply) => {
    const r = await api.quickReplies.render(q.id, conversation.id);
    setText(r.text);
    setMissing(r.missing);
  };
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState('');
  const picker = useRef<HTMLInputElement>(null);
  const choose = (f: File | undefined) => {
    setFileError('');
    setFile(null);
    if (!f) return;
    // The same rules as the server (which checks the bytes too): a clear word before any upload.
    const rule = SENDABLE_MEDIA[f.type];
    if (!rule) return setFileError(`WhatsApp cannot send ${f.type || 'this type of file'} (${f.name})`);
    if (f.size > rule.max)
      return setFileError(
        `WhatsApp sends ${f.type} files up to ${Math.round(rule.max / 1024)} KB; ${f.name} is ${Math.ceil(f.size / 1024)} KB`,
      );
    setFile(f);
  };
  const sendFile = useMutation({
    mutationFn: async ({ f, caption }: { f: File; caption: string }) => {
      const m = await api.conversations.uploadMedia(conversation.id, f, f.name);
      const captioned = m.type === 'image' || m.type === 'video' || m.type === 'document';
      const media: Record<string, unknown> = { id: m.id };
      if (captioned && caption) media.caption = caption;
      if (m.type === 'document') media.filename = f.name;
      await api.conversations.reply(conversation.id, { content: { type: m.type, [m.type]: media } as never });
      // Audio and stickers carry no caption: the text goes as its own message.
      if (!captioned && caption)
        await api.conversations.reply(conversation.id, {
          content: { type: 'text', text: { body: caption } },
        });
    },
    onSuccess: () => {
      setFile(null);
      setText('');
      void qc.invalidateQueries({ queryKey: inboxKeys.messages(conversation.id) });
      void qc.invalidateQueries({ queryKey: inboxKeys.lists });
    },
  });
  const busy = send.isPending || sendFile.isPending;
  const submit = () => {
    const body = text.trim();
    if (busy) return;
    if (file) sendFile.mutate({ f: file, caption: body });
    else if (body) send.mutate({ type: 'text', text: { body } });
  };
  return (
    <form
      className="relative border-t border-slate-200 bg-white px-3 py-2"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {matches.length > 0 && (
        <ul
          aria-label="Quick replies"
          className="absolute bottom-full left-3 mb-1 w-80 overflow-hidden rounded-md border border-slate-200 bg-white shadow-lg"
        >
          {matches.map((q) => (
            <li key={q.id}>
              <button
                type="button"
                className="block w-full px-3 py-2 text-left text-sm hover:bg-slate-50"
                onClick={() => void insert(q)}
              >
                <span className="font-mono text-brand-700">/{q.shortcut}</span>{' '}
                <span className="text-slate-600">{q.body.slice(0, 60)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {suggest && (
        <SuggestReply
          key={conversation.id}
          conversationId={conversation.id}
          text={text}
          setText={setText}
          canStart={waiting && !text.trim() && !file}
          autoDraftFor={autoDraftFor}
        />
      )}
      {missing.length > 0 && (
        <p className="mb-1 text-xs text-amber-700">
          No value for {missing.join(', ')}: check the text before sending.
        </p>
      )}
      {replyTo && (
        <div className="mb-1 flex items-center gap-2 rounded border-l-4 border-brand-600 bg-slate-50 px-2 py-1 text-xs text-slate-700">
          <span className="min-w-0 flex-1 truncate">
            Replying to {replyTo.direction === 'out' ? 'your message' : 'the customer'}: “
            {previewOf(replyTo).slice(0, 80)}”
          </span>
          <button type="button" className="underline" onClick={() => onClearReply?.()}>
            Cancel reply
          </button>
        </div>
      )}
      {(file || fileError) && (
        <p
          className={`mb-1 flex items-center gap-2 text-xs ${fileError ? 'text-red-700' : 'text-slate-700'}`}
          role={fileError ? 'alert' : undefined}
        >
          {fileError || (
            <>
              <Icon name="paperclip" className="h-3.5 w-3.5" />
              <span>
                {file!.name} ({Math.ceil(file!.size / 1024)} KB) — the text goes as its caption
              </span>
              <button type="button" className="underline" onClick={() => choose(undefined)}>
                Remove
              </button>
            </>
          )}
        </p>
      )}
      <div className="flex items-end gap-2">
        <input
          ref={picker}
          type="file"
          className="hidden"
          aria-label="File to send"
          accept={Object.keys(SENDABLE_MEDIA).join(',')}
          onChange={(e) => {
            choose(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
        <Button
          variant="ghost"
          className="px-2"
          aria-label="Attach a file"
          title="Attach a file"
          onClick={() => picker.current?.click()}
        >
          <Icon name="paperclip" />
        </Button>
        <textarea
          aria-label="Reply"
          rows={2}
          maxLength={4096}
          placeholder="Write a reply — / for quick replies, Enter sends, Shift+Enter for a new line"
          className="block min-h-[2.5rem] flex-1 resize-y rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-brand-600 focus:outline-none"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setMissing([]);
            if (e.target.value.trim() && !e.target.value.startsWith('/')) typing();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && matches.length === 0) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <Button
          type="submit"
          disabledReason={busy ? 'Sending…' : !text.trim() && !file && 'Write a message or attach a file'}
        >
          {busy ? 'Sending…' : 'Send'}
        </Button>
      </div>
      {(send.error || sendFile.error) && (
        <div className="mt-2">
          <Alert>{errorMessage(send.error ?? sendFile.error)}</Alert>
        </div>
      )}
    </form>
  );
}

/** Outside the window: pick an approved template, fill its variables, see it, send it. */
function TemplateComposer({ conversation }: { conversation: Conversation }) {
  const numbers = useNumbers();
  const wabaId = numbers.data?.data.find((n) => n.id === conversation.number_id)?.waba_id;
  const templates = useQuery({
    queryKey: templateKeys.list({ waba_id: wabaId }),
    queryFn: () => api.templates.list({ ...(wabaId ? { waba_id: wabaId } : {}) }),
    enabled: Boolean(wabaId),
  });
  const approved = (templates.data?.data ?? []).filter((t) => t.status === 'APPROVED' && t.active);
  const [templateId, setTemplateId] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const t: Template | undefined = approved.find((x) => x.id === templateId);
  // Every value Meta needs from the sender: text, URL suffixes, copy codes and a media header's link
  // (quick-reply payloads are optional; a location header cannot be filled here).
  const vars = useMemo(
    () => (t ? templateVariables(defOf(t)).filter((v) => v.kind !== 'payload' && v.kind !== 'location') : []),
    [t],
  );
  const unsupported = t ? templateVariables(defOf(t)).some((v) => v.kind === 'location') : false;
  const send = useSend(conversation.id, () => {
    setTemplateId('');
    setValues({});
  });
  const rendered = t ? previewTemplate(defOf(t), values) : null;
  const complete = t && !unsupported && vars.every((v) => values[mappingKey(v)]?.trim());
  const [problem, setProblem] = useState<string | null>(null);
  const submit = () => {
    if (!t) return;
    const value = (v: (typeof vars)[number]) => values[mappingKey(v)]!.trim();
    const header = vars.find((v) => v.component === 'header');
    // The contracts' renderer builds the parameters as Meta wants them (named ones by their name).
    const r = renderTemplate(defOf(t), {
      ...(header
        ? { header: header.kind === 'media' ? { media: { link: value(header) } } : { text: value(header) } }
        : {}),
      body: Object.fromEntries(vars.filter((v) => v.component === 'body').map((v) => [v.key, value(v)])),
      buttons: Object.fromEntries(vars.filter((v) => v.component === 'button').map((v) => [v.key, value(v)])),
    });
    if (!r.ok) {
      setProblem(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
      return;
    }
    setProblem(null);
    send.mutate({
      type: 'template',
      template: { name: t.name, language: { code: t.language }, components: r.components },
    });
  };
  return (
    <section aria-label="Template reply" className="space-y-2 border-t border-slate-200 bg-white px-3 py-2">
      <p className="text-xs text-slate-600" role="status">
        The 24-hour window is closed: free text cannot reach this customer until they write again. Send an
        approved template instead.
      </p>
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1 space-y-2">
          <Select
            aria-label="Template"
            value={templateId}
            onChange={(e) => {
              setTemplateId(e.target.value);
              setValues({});
            }}
          >
            <option value="">Choose a template…</option>
            {approved.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name} ({x.language})
              </option>
            ))}
          </Select>
          {vars.map((v) => {
            const key = mappingKey(v);
            const label = t ? variableLabel(key, defOf(t)) : key;
            return (
              <Input
                key={key}
                aria-label={label}
                placeholder={`${label}${v.example ? ` — e.g. ${v.example}` : ''}`}
                value={values[key] ?? ''}
                onChange={(e) => setValues({ ...values, [key]: e.target.value })}
              />
            );
          })}
          <Button
            disabledReason={
              send.isPending ? 'Sending…' : !t ? 'Choose a template' : !complete && 'Fill in every variable'
            }
            onClick={submit}
          >
            {send.isPending ? 'Sending…' : 'Send template'}
          </Button>
        </div>
        {t && (
          <div className="w-72">
            <TemplateBubble rendered={rendered} label={`Preview of ${t.name}`} />
          </div>
        )}
      </div>
      {unsupported && (
        <Alert>
          This template has a location header, which cannot be filled in here; choose another one.
        </Alert>
      )}
      {problem && <Alert>{problem}</Alert>}
      {send.error && <Alert>{errorMessage(send.error)}</Alert>}
    </section>
  );
}
