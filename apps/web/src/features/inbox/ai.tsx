import type { ConversationAi, Message } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Button } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { inboxKeys } from './keys.ts';

/** A conversation's AI; refetched when the conversation changes (live.ts). */
export function useConversationAi(conversationId: string) {
  return useQuery({
    queryKey: inboxKeys.ai(conversationId),
    queryFn: () => api.ai.conversation(conversationId),
  });
}

const HANDOVER_REASON: Record<NonNullable<ConversationAi['handover_reason']>, string> = {
  keyword: 'the customer asked for a person',
  model: 'the AI could not answer',
  agent: 'an agent replied',
  limit: 'the reply limit was reached',
};

/**
 * Above the composer while the number's AI is on: the mode, who answers (the AI or people, and why),
 * take over / hand back, a summary, and how many AI replies this customer has had.
 */
export function AiBar({ conversationId, ai }: { conversationId: string; ai: ConversationAi }) {
  const qc = useQueryClient();
  const me = useMe();
  const canReply = me.data?.permissions.includes('conversations.reply') ?? false;
  const [summary, setSummary] = useState<string | null>(null);
  const set = (next: ConversationAi) => qc.setQueryData(inboxKeys.ai(conversationId), next);
  const takeOver = useMutation({ mutationFn: () => api.ai.takeOver(conversationId), onSuccess: set });
  const handBack = useMutation({ mutationFn: () => api.ai.handBack(conversationId), onSuccess: set });
  const summarise = useMutation({
    mutationFn: () => api.ai.summary(conversationId),
    onSuccess: (s) => setSummary(s.text),
  });
  if (ai.mode === 'off') return null;
  const handedOver = ai.handed_over_at !== null;
  const error = takeOver.error ?? handBack.error ?? summarise.error;
  return (
    <section
      aria-label="AI"
      className="border-t border-violet-200 bg-violet-50 px-3 py-1.5 text-xs text-violet-950"
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className="font-semibold">AI: {ai.mode}</span>
        {ai.mode === 'auto' && (
          <span data-testid="ai-handover">
            {handedOver
              ? `Handed over to people${ai.handover_reason ? `: ${HANDOVER_REASON[ai.handover_reason]}` : ''}`
              : 'The AI is answering'}
          </span>
        )}
        {!ai.configured && <span className="text-amber-800">Not configured in Settings → AI</span>}
        {ai.budget_spent && <span className="text-amber-800">Today’s token budget is spent</span>}
        <span className="tabular-nums">
          AI replies: {ai.contact_replies} / {ai.max_replies_per_contact}
        </span>
        {canReply && (
          <span className="ml-auto flex flex-wrap gap-1">
            {ai.mode === 'auto' && handedOver && (
              <Button
                variant="secondary"
                className="px-2 py-0.5 text-xs"
                disabledReason={handBack.isPending && 'Handing back…'}
                onClick={() => handBack.mutate()}
              >
                Hand back to AI
              </Button>
            )}
            {ai.mode === 'auto' && !handedOver && (
              <Button
                variant="secondary"
                className="px-2 py-0.5 text-xs"
                disabledReason={takeOver.isPending && 'Taking over…'}
                onClick={() => takeOver.mutate()}
              >
                Take over
              </Button>
            )}
            <Button
              variant="secondary"
              className="px-2 py-0.5 text-xs"
              disabledReason={summarise.isPending && 'Summarising…'}
              onClick={() => summarise.mutate()}
            >
              {summarise.isPending ? 'Summarising…' : 'Summarise'}
            </Button>
          </span>
        )}
      </div>
      {error && (
        <p role="alert" className="mt-1 text-red-700">
          {errorMessage(error)}
        </p>
      )}
      {summary !== null && (
        <div
          role="note"
          aria-label="Summary"
          className="mt-1.5 flex items-start gap-2 rounded border border-violet-200 bg-white px-2 py-1.5 text-sm text-slate-800"
        >
          <p className="flex-1 whitespace-pre-wrap">{summary}</p>
          <button
            type="button"
            className="text-slate-500 hover:text-slate-800"
            aria-label="Dismiss the summary"
            onClick={() => setSummary(null)}
          >
            ×
          </button>
        </div>
      )}
    </section>
  );
}

/** Whether agents may ask for a draft: suggest mode, or auto mode once people have the conversation. */
export const suggestAllowed = (ai: ConversationAi | undefined) =>
  Boolean(ai && (ai.mode === 'suggest' || (ai.mode === 'auto' && ai.handed_over_at !== null)));

/** The last message is the customer's text: there is something to answer. */
export const awaitsAnswer = (last: Message | undefined) =>
  Boolean(last && last.direction === 'in' && last.type === 'text');

/** Customer messages this tab already drafted a reply for (a reopened conversation asks no more). */
const drafted = new Set<string>();

/**
 * "✨ Suggest a reply": the draft streams into the reply box as the model writes it; "Regenerate"
 * asks again. When the knowledge base has no answer, it says so instead of drafting one.
 */
export function SuggestReply({
  conversationId,
  text,
  setText,
  canStart,
  autoDraftFor,
}: {
  conversationId: string;
  text: string;
  setText: (t: string) => void;
  /** The reply box is empty and the customer is waiting for an answer. */
  canStart: boolean;
  /** Suggest mode: a draft for this customer message appears by itself, once (then Regenerate). */
  autoDraftFor?: string | undefined;
}) {
  const [state, setState] = useState<
    | { kind: 'idle' }
    | { kind: 'streaming' }
    | { kind: 'done'; text: string }
    | { kind: 'handover' }
    | { kind: 'error'; message: string }
  >({ kind: 'idle' });
  const run = async () => {
    setState({ kind: 'streaming' });
    let draft = '';
    setText('');
    try {
      const r = await api.ai.suggest(conversationId, (d) => {
        draft += d;
        setText(draft);
      });
      if (r.handover) {
        setText('');
        setState({ kind: 'handover' });
      } else {
        setText(r.text || draft);
        setState({ kind: 'done', text: r.text || draft });
      }
    } catch (err) {
      setText('');
      setState({ kind: 'error', message: errorMessage(err) });
    }
  };
  // In suggest mode each new customer text gets its draft without a click, once per message.
  useEffect(() => {
    if (!autoDraftFor || !canStart || state.kind === 'streaming' || drafted.has(autoDraftFor)) return;
    drafted.add(autoDraftFor);
    void run();
  });
  const streaming = state.kind === 'streaming';
  // Once a draft was asked for, Regenerate stays while the box holds it (or nothing).
  const asked = state.kind !== 'idle' && (text === '' || (state.kind === 'done' && text === state.text));
  if (!streaming && !asked && !canStart) return null;
  return (
    <div className="mb-1 flex flex-wrap items-center gap-2 text-xs">
      {streaming ? (
        <span role="status" className="text-violet-800">
          ✨ Writing a suggestion…
        </span>
      ) : (
        <Button
          variant="secondary"
          className="border-violet-300 px-2 py-0.5 text-xs text-violet-900"
          onClick={() => void run()}
        >
          {asked ? 'Regenerate' : '✨ Suggest a reply'}
        </Button>
      )}
      {state.kind === 'handover' && (
        <span role="status" className="text-amber-800">
          The knowledge base does not answer this.
        </span>
      )}
      {state.kind === 'error' && (
        <span role="alert" className="text-red-700">
          {state.message}
        </span>
      )}
    </div>
  );
}

/** Under an AI reply: the knowledge it was grounded in. */
export function AiSources({ titles }: { titles: string[] }) {
  if (titles.length === 0) return null;
  return <p className="mt-0.5 text-xs text-slate-500">Sources: {titles.join(', ')}</p>;
}
