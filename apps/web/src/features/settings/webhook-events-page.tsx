import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect } from '../../components/filters.tsx';
import { Icon } from '../../components/icons.tsx';
import { Table, Td, Tr } from '../../components/table.tsx';
import { Alert, Badge, type BadgeTone, Button, Card } from '../../components/ui.tsx';
import { inboxKeys } from '../inbox/keys.ts';
import { webhookEventKeys } from './keys.ts';

type WebhookEvent = Awaited<ReturnType<typeof api.webhookEvents.list>>['data'][number];
type State = WebhookEvent['state'];

const STATES: [State | '', string][] = [
  ['', 'All events'],
  ['processed', 'Processed'],
  ['failed', 'Failed'],
  ['pending', 'Waiting to be processed'],
  ['unparseable', 'Unparseable'],
];
const STATE_BADGE: Record<State, { tone: BadgeTone; label: string }> = {
  processed: { tone: 'green', label: 'Processed' },
  failed: { tone: 'red', label: 'Failed' },
  pending: { tone: 'amber', label: 'Pending' },
  unparseable: { tone: 'slate', label: 'Unparseable' },
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * "2 messages, 1 status, 1 duplicate" from the processing result the server stored (this
 * organisation's part). A change naming one of your numbers that another Meta app signed was not
 * applied: "not routed: signed by another app".
 */
export function summarizeResult(result: unknown): string {
  if (!result || typeof result !== 'object') return '—';
  const r = result as Record<string, unknown>;
  const n = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
  const list = (k: string) => (Array.isArray(r[k]) ? (r[k] as unknown[]).map(String) : []);
  const parts = [
    n('messages') && plural(n('messages'), 'message'),
    n('statuses') && plural(n('statuses'), 'status', 'statuses'),
    n('duplicates') && plural(n('duplicates'), 'duplicate'),
    n('parked') && `${plural(n('parked'), 'status', 'statuses')} waiting for its message`,
    list('skipped').length > 0 && `skipped ${[...new Set(list('skipped'))].join(', ')}`,
    list('unroutable').length > 0 && `no number for ${[...new Set(list('unroutable'))].join(', ')}`,
    list('foreign').length > 0 &&
      `not routed: signed by another app (${[...new Set(list('foreign'))].join(', ')})`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nothing to do';
}

/** Pretty JSON when the text is whole; the first 4 000 characters as they came otherwise. */
function prettyRaw(raw: string): { text: string; truncated: boolean } {
  try {
    return { text: JSON.stringify(JSON.parse(raw), null, 2), truncated: false };
  } catch {
    return { text: raw, truncated: raw.length >= 4000 };
  }
}

function EventRow({ e }: { e: WebhookEvent }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const replay = useMutation({
    mutationFn: () => api.webhookEvents.replay(e.id),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: webhookEventKeys.all });
      void qc.invalidateQueries({ queryKey: inboxKeys.all });
    },
  });
  const badge = STATE_BADGE[e.state];
  const raw = open ? prettyRaw(e.raw) : null;
  return (
    <>
      <Tr data-event={String(e.id)}>
        <Td>
          <button
            type="button"
            className="inline-flex items-center gap-1 rounded font-mono text-xs text-slate-800 hover:text-brand-700"
            aria-expanded={open}
            aria-controls={`webhook-raw-${e.id}`}
            onClick={() => setOpen((o) => !o)}
          >
            <Icon name="chevron" className={`h-4 w-4 transition-transform ${open ? 'rotate-90' : ''}`} />#
            {e.id}
            <span className="sr-only">{open ? ', hide body' : ', show body'}</span>
          </button>
        </Td>
        <Td className="whitespace-nowrap">
          <time
            dateTime={e.received_at}
            title={
              e.processed_at ? `Processed ${new Date(e.processed_at).toLocaleString()}` : 'Not processed'
            }
          >
            {new Date(e.received_at).toLocaleString()}
          </time>
        </Td>
        <Td>
          <Badge tone={badge.tone}>{badge.label}</Badge>
        </Td>
        <Td className="text-slate-700">
          {summarizeResult(e.result)}
          {replay.data && (
            <p className="mt-1 text-xs text-emerald-700" role="status">
              Replayed: {summarizeResult(replay.data.result)}
            </p>
          )}
          {replay.error && (
            <p className="mt-1 text-xs text-red-700" role="alert">
              Replay failed: {errorMessage(replay.error)}
            </p>
          )}
        </Td>
        <Td className="max-w-xs break-words text-red-800">{e.error}</Td>
        <Td className="text-right">
          <Button
            variant="secondary"
            onClick={() => replay.mutate()}
            disabledReason={replay.isPending && 'Replaying…'}
            aria-label={`Replay event ${e.id}`}
          >
            {replay.isPending ? 'Replaying…' : 'Replay'}
          </Button>
        </Td>
      </Tr>
      {raw && (
        <tr id={`webhook-raw-${e.id}`}>
          <td colSpan={6} className="pb-3">
            <pre className="max-h-96 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100">
              {raw.text}
            </pre>
            {raw.truncated && (
              <p className="mt-1 text-xs text-slate-500">
                The first 4 000 characters of the parts that concern your numbers.
              </p>
            )}
            {!raw.text && <p className="mt-1 text-xs text-slate-500">This body is too large to show here.</p>}
          </td>
        </tr>
      )}
    </>
  );
}

/** Settings → Webhook events: what Meta sent, what processing made of it, and a safe replay. */
export function WebhookEventsPage() {
  const qc = useQueryClient();
  const [state, setState] = useState<State | ''>('');
  const [limit, setLimit] = useState(50);
  const events = useQuery({
    queryKey: webhookEventKeys.list(state, limit),
    queryFn: () => api.webhookEvents.list({ state: state || undefined, limit }),
  });
  const rows = events.data?.data ?? [];
  return (
    <div className="max-w-6xl space-y-6">
      <Card
        title="Webhook events"
        description="Every POST Meta made to /webhooks/whatsapp for your numbers, stored before it was answered, with what processing made of it — the parts that concern your numbers. A change signed by a Meta app other than your number's is kept but never applied. Replay runs the processing again: messages and statuses already recorded are recognised, so nothing is duplicated."
      >
        <FilterBar boxed={false}>
          <FilterSelect
            label="Show"
            labelPlacement="inline"
            className="w-56"
            value={state}
            options={STATES}
            onChange={setState}
          />
          <Button
            variant="ghost"
            onClick={() => void qc.invalidateQueries({ queryKey: webhookEventKeys.all })}
            disabledReason={events.isFetching && 'Refreshing…'}
          >
            <Icon name="refresh" className="h-4 w-4" />
            Refresh
          </Button>
        </FilterBar>
        {events.error && <Alert>{errorMessage(events.error)}</Alert>}
        <Table
          caption="Webhook events"
          testId="webhook-events-table"
          valign="middle"
          columns={[
            { header: 'Event' },
            { header: 'Received' },
            { header: 'State' },
            { header: 'Result' },
            { header: 'Error' },
            { header: 'Actions', headerHidden: true },
          ]}
          rows={rows}
          rowKey={(e) => e.id}
          renderRow={(e) => <EventRow e={e} />}
          status={events.status}
          empty={
            state
              ? 'No events in this state.'
              : 'No webhook events yet. They appear as soon as Meta (or the sandbox) sends one for your numbers.'
          }
        />
        {rows.length === limit && limit < 200 && (
          <div className="mt-4 text-center">
            <Button variant="secondary" onClick={() => setLimit(200)}>
              Show up to 200
            </Button>
          </div>
        )}
      </Card>
    </div>
  );
}
