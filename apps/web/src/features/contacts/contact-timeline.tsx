import type { TimelineItem } from '@openwaba/contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card } from '../../components/ui.tsx';
import { contactKeys } from './keys.ts';
import { dateTime, SOURCE_LABEL } from './parts.tsx';

const ACTION_LABEL: Record<string, string> = {
  'contact.create': 'Contact created',
  'contact.update': 'Contact edited',
  'contact.delete': 'Contact deleted',
  'contact.bulk_tag': 'Tagged in a bulk action',
  'contact.bulk_untag': 'Untagged in a bulk action',
  'contact.import': 'Imported',
};

/** Which properties an edit touched, from the audit row's before/after. */
function changedKeys(before: unknown, after: unknown): string[] {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || typeof a !== 'object') return [];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
}

function TimelineEntry({ item }: { item: TimelineItem }) {
  if (item.kind === 'message') {
    const m = item.message;
    return (
      <>
        <span className="font-medium">{m.direction === 'in' ? 'Message received' : 'Message sent'}</span>
        <p className="mt-0.5 break-words text-slate-700">{m.preview || `(${m.type})`}</p>
        <Link
          to={`/inbox/${m.conversation_id}`}
          className="text-xs font-medium text-brand-700 hover:underline"
        >
          Open the conversation
        </Link>
      </>
    );
  }
  if (item.kind === 'consent') {
    const e = item.consent;
    return (
      <>
        <span className="font-medium">{e.kind === 'opt_in' ? 'Opted in' : 'Opted out'}</span>
        <span className="text-slate-600">
          {' '}
          · {SOURCE_LABEL[e.source] ?? e.source}
          {e.actor_email && ` · ${e.actor_email}`}
        </span>
        {e.proof && <p className="mt-0.5 break-words text-slate-700">“{e.proof}”</p>}
      </>
    );
  }
  const c = item.change;
  const keys = changedKeys(c.before, c.after).filter((k) => k !== 'updated_at');
  return (
    <>
      <span className="font-medium">{ACTION_LABEL[c.action] ?? c.action}</span>
      {c.actor_label && <span className="text-slate-600"> · {c.actor_label}</span>}
      {keys.length > 0 && <p className="mt-0.5 text-slate-600">Changed: {keys.join(', ')}</p>}
    </>
  );
}

/** What happened to a contact, newest first: messages, consent changes and edits. */
export function ContactTimeline({ contactId }: { contactId: string }) {
  const timeline = useInfiniteQuery({
    queryKey: contactKeys.timeline(contactId),
    queryFn: ({ pageParam }) => api.contacts.timeline(contactId, { cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = timeline.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Card title="Activity">
      {timeline.error && <Alert>{errorMessage(timeline.error)}</Alert>}
      {timeline.isSuccess && items.length === 0 && (
        <p className="text-sm text-slate-500">
          Nothing yet: messages, consent changes and edits will appear here.
        </p>
      )}
      <ol aria-label="Activity" className="space-y-3 border-l border-slate-200 pl-4">
        {items.map((item) => (
          <li key={`${item.kind}-${item.id}`} className="relative text-sm">
            <span
              aria-hidden="true"
              className={`absolute top-1.5 -left-[21px] h-2.5 w-2.5 rounded-full ${
                item.kind === 'message'
                  ? 'bg-brand-600'
                  : item.kind === 'consent'
                    ? 'bg-amber-500'
                    : 'bg-slate-400'
              }`}
            />
            <time className="block text-xs text-slate-500" dateTime={item.at}>
              {dateTime(item.at)}
            </time>
            <TimelineEntry item={item} />
          </li>
        ))}
      </ol>
      {timeline.hasNextPage && (
        <div className="mt-3">
          <Button
            variant="secondary"
            onClick={() => timeline.fetchNextPage()}
            disabled={timeline.isFetchingNextPage}
          >
            Older activity
          </Button>
        </div>
      )}
    </Card>
  );
}
