import type { Conversation, Member } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type KeyboardEvent, type ReactNode, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { Alert, Badge, type BadgeTone, Button, Select } from '../../components/ui.tsx';
import { contactKeys } from '../contacts/keys.ts';
import { usePhonesHidden, useTags } from '../contacts/queries.ts';
import { useMembers } from '../settings/queries.ts';
import { useInboxRights } from './composer.tsx';
import { addressOf, isBsuid } from './format.ts';
import { inboxKeys } from './keys.ts';

const CONSENT: Record<string, { label: string; tone: BadgeTone }> = {
  opted_in: { label: 'Opted in', tone: 'green' },
  opted_out: { label: 'Opted out', tone: 'red' },
  unknown: { label: 'No opt-in on file', tone: 'slate' },
};

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="border-b border-slate-200 px-4 py-3" aria-label={title}>
      <h3 className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</h3>
      {children}
    </section>
  );
}

const when = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * Beside the thread: who the customer is (fields, tags, consent), the campaigns they were sent, the
 * conversation's tags and the team's internal notes (with @mentions).
 */
export function ContactPanel({ conversation: c, onClose }: { conversation: Conversation; onClose(): void }) {
  const contact = useQuery({
    queryKey: contactKeys.one(c.contact.id),
    queryFn: () => api.contacts.get(c.contact.id),
  });
  const campaigns = useQuery({
    queryKey: contactKeys.campaigns(c.contact.id),
    queryFn: () => api.contacts.campaigns(c.contact.id),
  });
  const phonesHidden = usePhonesHidden();
  const k = contact.data;
  const consent = CONSENT[k?.consent.state ?? 'unknown']!;
  const fields = Object.entries(k?.fields ?? {});
  return (
    <aside
      aria-label="Contact details"
      className="absolute inset-y-0 right-0 z-10 flex w-full max-w-sm flex-col overflow-y-auto border-l border-slate-200 bg-white shadow-lg 2xl:static 2xl:w-80 2xl:shadow-none"
    >
      <div className="flex items-center justify-between border-b border-slate-200 px-4 py-2.5">
        <h2 className="font-semibold text-slate-900">Details</h2>
        <Button variant="ghost" className="px-2 py-1" aria-label="Close details" onClick={onClose}>
          <Icon name="x" className="h-4 w-4" />
        </Button>
      </div>
      {contact.error && (
        <div className="p-4">
          <Alert>{errorMessage(contact.error)}</Alert>
        </div>
      )}
      <Section title="Contact">
        <p className="font-medium text-slate-900">{c.contact.name ?? addressOf(c.contact)}</p>
        <p className="text-sm text-slate-600">{addressOf(c.contact)}</p>
        {isBsuid(c.contact.wa_id) && <AskForPhone conversation={c} />}
        {phonesHidden && (
          <p className="text-xs text-slate-500">Your organisation hides customers' numbers.</p>
        )}
        {k && (
          <p className="mt-2">
            <Badge tone={consent.tone}>{consent.label}</Badge>
            {k.consent.at && (
              <span className="ml-2 text-xs text-slate-500">
                {k.consent.source ? `${k.consent.source}, ` : ''}
                {when(k.consent.at)}
              </span>
            )}
          </p>
        )}
        {fields.length > 0 && (
          <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
            {fields.map(([key, value]) => (
              <div key={key} className="contents">
                <dt className="text-slate-500">{key}</dt>
                <dd className="truncate text-slate-900">{String(value)}</dd>
              </div>
            ))}
          </dl>
        )}
        {k && k.tags.length > 0 && (
          <ul className="mt-2 flex flex-wrap gap-1" aria-label="Contact tags">
            {k.tags.map((t) => (
              <li key={t.id}>
                <Badge tone="slate">{t.name}</Badge>
              </li>
            ))}
          </ul>
        )}
        <Link to={`/contacts/${c.contact.id}`} className="mt-2 inline-block text-sm text-brand-700 underline">
          Open contact
        </Link>
      </Section>
      {c.referral && <Referral conversation={c} />}
      <ConversationTags conversation={c} />
      <Section title="Campaigns">
        {campaigns.data && campaigns.data.data.length === 0 && (
          <p className="text-sm text-slate-500">No campaigns sent to this contact.</p>
        )}
        <ul className="space-y-1 text-sm">
          {(campaigns.data?.data ?? []).map((x) => (
            <li key={x.campaign_id} className="flex items-baseline justify-between gap-2">
              <Link to={`/campaigns/${x.campaign_id}`} className="truncate text-brand-700 underline">
                {x.name}
              </Link>
              <span className="shrink-0 text-xs text-slate-500">
                {x.message_status ?? 'queued'}
                {x.sent_at ? ` · ${new Date(x.sent_at).toLocaleDateString()}` : ''}
              </span>
            </li>
          ))}
        </ul>
      </Section>
      <Notes conversationId={c.id} />
    </aside>
  );
}

/** The Click-to-WhatsApp ad or post the customer came from, and the free entry window it opened. */
function Referral({ conversation: c }: { conversation: Conversation }) {
  const r = c.referral!;
  const free = c.free_entry_until ? new Date(c.free_entry_until) : null;
  const source = r.source_type === 'post' ? 'Facebook or Instagram post' : 'Click-to-WhatsApp ad';
  return (
    <Section title="Came from">
      <p className="text-sm font-medium text-slate-900">{r.headline ?? source}</p>
      {r.body && <p className="text-sm text-slate-600">{r.body}</p>}
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-500">Source</dt>
        <dd className="text-slate-900">
          {source}
          {r.source_id ? ` ${r.source_id}` : ''}
        </dd>
        {r.ctwa_clid && (
          <>
            <dt className="text-slate-500">Click id</dt>
            <dd className="truncate font-mono text-xs text-slate-900" title={r.ctwa_clid}>
              {r.ctwa_clid}
            </dd>
          </>
        )}
        {free && (
          <>
            <dt className="text-slate-500">Free until</dt>
            <dd className="text-slate-900">
              {when(free.toISOString())}
              {free.getTime() > Date.now() ? '' : ' (ended)'}
            </dd>
          </>
        )}
      </dl>
      {r.source_url && (
        <a
          href={r.source_url}
          target="_blank"
          rel="noreferrer noopener"
          className="mt-2 inline-block text-sm text-brand-700 underline"
        >
          Open the {r.source_type === 'post' ? 'post' : 'ad'}
        </a>
      )}
    </Section>
  );
}

/** The conversation's own tags (not the contact's): agents add and remove them. */
function ConversationTags({ conversation: c }: { conversation: Conversation }) {
  const { canReply } = useInboxRights();
  const qc = useQueryClient();
  const all = useTags({ enabled: canReply });
  const set = useMutation({
    mutationFn: (ids: string[]) => api.conversations.setTags(c.id, ids),
    onSuccess: () => qc.invalidateQueries({ queryKey: inboxKeys.lists }),
  });
  const ids = c.tags.map((t) => t.id);
  const available = (all.data?.data ?? []).filter((t) => !ids.includes(t.id));
  return (
    <Section title="Conversation tags">
      <ul className="flex flex-wrap gap-1" aria-label="Conversation tags">
        {c.tags.length === 0 && <li className="text-sm text-slate-500">None</li>}
        {c.tags.map((t) => (
          <li key={t.id}>
            <Badge tone="sky">
              {t.name}
              {canReply && (
                <button
                  type="button"
                  className="ml-0.5 rounded hover:bg-black/10"
                  aria-label={`Remove tag ${t.name}`}
                  disabled={set.isPending}
                  title={set.isPending ? 'Saving the tags…' : undefined}
                  onClick={() => set.mutate(ids.filter((x) => x !== t.id))}
                >
                  ×
                </button>
              )}
            </Badge>
          </li>
        ))}
      </ul>
      {canReply && available.length > 0 && (
        <Select
          aria-label="Add a tag"
          className="mt-2 text-xs"
          value=""
          disabled={set.isPending}
          title={set.isPending ? 'Saving the tags…' : undefined}
          onChange={(e) => e.target.value && set.mutate([...ids, e.target.value])}
        >
          <option value="">Add a tag…</option>
          {available.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
      )}
      {set.error && (
        <p role="alert" className="mt-1 text-xs text-red-700">
          {errorMessage(set.error)}
        </p>
      )}
    </Section>
  );
}

/** The `@word` being typed at the caret, if any: what the mention list filters by. */
function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(^|\s)@([^\s@]*)$/.exec(text.slice(0, caret));
  return m ? { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() } : undefined;
}

/** Internal notes: only the team sees them; `@` offers the members, and a mention notifies them. */
function Notes({ conversationId }: { conversationId: string }) {
  const { canReply } = useInboxRights();
  const qc = useQueryClient();
  const notes = useQuery({
    queryKey: inboxKeys.notes(conversationId),
    queryFn: () => api.conversations.notes(conversationId),
  });
  const members = useMembers({ enabled: canReply });
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const add = useMutation({
    mutationFn: () => api.conversations.addNote(conversationId, text),
    onSuccess: () => {
      setText('');
      void qc.invalidateQueries({ queryKey: inboxKeys.notes(conversationId) });
    },
  });
  const mention = mentionAt(text, caret);
  const matches = useMemo<Member[]>(() => {
    if (!mention) return [];
    return (members.data?.data ?? [])
      .filter(
        (m) => m.email.toLowerCase().includes(mention.query) || m.name.toLowerCase().includes(mention.query),
      )
      .slice(0, 6);
  }, [mention, members.data]);
  const pick = (m: Member) => {
    if (!mention) return;
    const next = `${text.slice(0, mention.start)}@${m.email} ${text.slice(caret)}`;
    const at = mention.start + m.email.length + 2;
    setText(next);
    setCaret(at);
    setActive(0);
    requestAnimationFrame(() => box.current?.setSelectionRange(at, at));
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (matches.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((i) => (i + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pick(matches[Math.min(active, matches.length - 1)]!);
        return;
      }
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && text.trim()) add.mutate();
  };
  return (
    <Section title="Internal notes">
      <ol className="space-y-2" aria-label="Notes">
        {notes.data?.data.length === 0 && <li className="text-sm text-slate-500">No notes yet.</li>}
        {(notes.data?.data ?? []).map((n) => (
          <li key={n.id} className="rounded-md bg-amber-50 px-2.5 py-1.5 text-sm">
            <p className="text-xs text-slate-500">
              {n.author ? (n.author.name ?? n.author.email) : 'Someone'} · {when(n.created_at)}
            </p>
            <p className="whitespace-pre-wrap text-slate-900">{n.body}</p>
          </li>
        ))}
      </ol>
      {canReply && (
        <form
          className="relative mt-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) add.mutate();
          }}
        >
          <label htmlFor={`note-${conversationId}`} className="sr-only">
            New note
          </label>
          <textarea
            id={`note-${conversationId}`}
            ref={box}
            rows={3}
            value={text}
            maxLength={5000}
            placeholder="Note for the team — @ to mention"
            className="w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
            onChange={(e) => {
              setText(e.target.value);
              setCaret(e.target.selectionStart);
            }}
            onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
            onKeyDown={onKeyDown}
          />
          {matches.length > 0 && (
            <ul
              id={`mentions-${conversationId}`}
              aria-label="Mention a member"
              className="absolute bottom-full left-0 z-20 mb-1 w-full rounded-md border border-slate-200 bg-white py-1 text-sm shadow-lg"
            >
              {matches.map((m, i) => (
                <li key={m.user_id}>
                  <button
                    type="button"
                    aria-current={i === active}
                    className={`block w-full px-2 py-1 text-left ${i === active ? 'bg-brand-50' : 'hover:bg-slate-50'}`}
                    onMouseDown={(e) => {
                      e.preventDefault();
                      pick(m);
                    }}
                  >
                    {m.name || m.email} <span className="text-xs text-slate-500">{m.email}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="flex items-center justify-between">
            {add.error ? (
              <span role="alert" className="text-xs text-red-700">
                {errorMessage(add.error)}
              </span>
            ) : (
              <span className="text-xs text-slate-500">Only your team sees notes.</span>
            )}
            <Button
              type="submit"
              variant="secondary"
              className="px-2 py-1 text-xs"
              disabledReason={add.isPending ? 'Adding…' : !text.trim() && 'Write the note first'}
            >
              Add note
            </Button>
          </div>
        </form>
      )}
    </Section>
  );
}

/**
 * A customer known only by their username and business-scoped user id: one click sends Meta's
 * "share your phone number" message (through the normal send path, so the 24-hour window applies);
 * their answer brings the phone, which is linked to the contact.
 */
function AskForPhone({ conversation: c }: { conversation: Conversation }) {
  const { canReply } = useInboxRights();
  const qc = useQueryClient();
  const ask = useMutation({
    mutationFn: () =>
      api.conversations.reply(c.id, {
        content: {
          type: 'interactive',
          interactive: {
            type: 'request_contact_info',
            body: { text: 'Could you share your phone number with us? Tap the button below.' },
            action: { name: 'request_contact_info' },
          },
        },
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: inboxKeys.messages(c.id) });
      void qc.invalidateQueries({ queryKey: inboxKeys.lists });
    },
  });
  if (!canReply) return null;
  return (
    <div className="mt-2">
      <p className="text-xs text-slate-500">No phone number: this customer uses a WhatsApp username.</p>
      <Button variant="secondary" className="mt-1" disabled={ask.isPending} onClick={() => ask.mutate()}>
        Ask for phone number
      </Button>
      {ask.isSuccess && (
        <p className="mt-1 text-xs text-slate-600">Asked: their answer will link the phone.</p>
      )}
      {ask.error && <Alert>{errorMessage(ask.error)}</Alert>}
    </div>
  );
}
