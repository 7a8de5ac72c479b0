import type { WebhookDelivery, WebhookEndpoint } from '@openwaba/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect } from '../../components/filters.tsx';
import { RelativeTime } from '../../components/relative-time.tsx';
import { Table, Td, Tr } from '../../components/table.tsx';
import {
  Alert,
  BackLink,
  Badge,
  type BadgeTone,
  Button,
  Card,
  ConfirmPanel,
  Field,
  Input,
} from '../../components/ui.tsx';
import { webhookKeys } from './keys.ts';
import { compactTypes, ENDPOINT_STATUS, EndpointForm, SecretBox } from './webhooks-page.tsx';

type State = WebhookDelivery['state'];
const STATE_BADGE: Record<State, { tone: BadgeTone; label: string }> = {
  pending: { tone: 'sky', label: 'Waiting' },
  delivering: { tone: 'sky', label: 'Sending' },
  succeeded: { tone: 'green', label: 'Delivered' },
  retrying: { tone: 'amber', label: 'Retrying' },
  dead: { tone: 'red', label: 'Failed' },
};
const STATES: [State | '', string][] = [
  ['', 'All deliveries'],
  ['succeeded', 'Delivered'],
  ['retrying', 'Retrying'],
  ['dead', 'Failed for good'],
  ['pending', 'Waiting'],
];

/** Settings → Webhooks → one endpoint: its settings, secret, "Send test event", and the delivery log. */
export function WebhookEndpointPage() {
  const { id = '' } = useParams();
  const endpoint = useQuery({
    queryKey: webhookKeys.endpoint(id),
    queryFn: () => api.webhooks.endpoints.get(id),
    refetchInterval: 10_000,
  });
  return (
    <div className="max-w-6xl space-y-6">
      <BackLink to="/settings/webhooks">Webhooks</BackLink>
      {endpoint.error && <Alert>{errorMessage(endpoint.error)}</Alert>}
      {endpoint.data && <EndpointPanel endpoint={endpoint.data} />}
      {endpoint.data && <DeliveryLog endpointId={id} />}
    </div>
  );
}

function EndpointPanel({ endpoint: e }: { endpoint: WebhookEndpoint }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'delete' | 'rotate' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: webhookKeys.all });
  const onDone = (message: string) => () => {
    setNotice(message);
    refresh();
  };
  const test = useMutation({
    mutationFn: () => api.webhooks.endpoints.test(e.id),
    onSuccess: onDone('Test event queued: it appears in the log below.'),
  });
  const setStatus = useMutation({
    mutationFn: (status: 'active' | 'paused') => api.webhooks.endpoints.update(e.id, { status }),
    onSuccess: (u) => onDone(u.status === 'active' ? 'Endpoint enabled.' : 'Endpoint paused.')(),
  });
  const reveal = useMutation({
    mutationFn: () => api.webhooks.endpoints.secret(e.id),
    onSuccess: (s) => setSecret(s.secret),
  });
  const rotate = useMutation({
    mutationFn: () => api.webhooks.endpoints.rotateSecret(e.id, { overlap_hours: 24 }),
    onSuccess: (s) => {
      setConfirm(null);
      setSecret(s.secret);
      onDone('New secret made: the previous one keeps signing too for 24 hours.')();
    },
  });
  const remove = useMutation({
    mutationFn: () => api.webhooks.endpoints.remove(e.id),
    onSuccess: () => {
      refresh();
      void navigate('/settings/webhooks');
    },
  });
  const busy = test.isPending || setStatus.isPending;
  const actionError = test.error ?? setStatus.error ?? reveal.error;

  if (editing)
    return (
      <Card title="Edit endpoint">
        <EndpointForm
          initial={e}
          submitLabel="Save"
          save={(body) => api.webhooks.endpoints.update(e.id, body)}
          onCancel={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            onDone('Saved.')();
          }}
        />
      </Card>
    );

  return (
    <Card>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 className="break-all font-mono text-sm font-semibold text-slate-900">{e.url}</h2>
          {e.description && <p className="mt-1 text-sm text-slate-600">{e.description}</p>}
          <p className="mt-2 flex flex-wrap items-center gap-2 text-xs text-slate-600">
            <Badge tone={ENDPOINT_STATUS[e.status].tone}>{ENDPOINT_STATUS[e.status].label}</Badge>
            {e.disabled_reason && <span className="text-red-700">{e.disabled_reason}</span>}
            {e.failing_since && (
              <span className="text-red-700">
                Failing since <RelativeTime iso={e.failing_since} />
              </span>
            )}
            {e.last_success_at && (
              <span>
                Last delivered <RelativeTime iso={e.last_success_at} />
              </span>
            )}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" disabledReason={busy && 'Working…'} onClick={() => test.mutate()}>
            Send test event
          </Button>
          {e.status === 'active' ? (
            <Button
              variant="secondary"
              disabledReason={busy && 'Working…'}
              onClick={() => setStatus.mutate('paused')}
            >
              Pause
            </Button>
          ) : (
            <Button
              variant="secondary"
              disabledReason={busy && 'Working…'}
              onClick={() => setStatus.mutate('active')}
            >
              {e.status === 'disabled' ? 'Re-enable' : 'Resume'}
            </Button>
          )}
          <Button variant="secondary" onClick={() => setEditing(true)}>
            Edit
          </Button>
          <Button variant="danger" onClick={() => setConfirm('delete')}>
            Delete
          </Button>
        </div>
      </div>
      <dl className="mt-4 grid gap-3 text-sm sm:grid-cols-2 lg:grid-cols-4">
        <div className="sm:col-span-2">
          <dt className="text-xs text-slate-500">Events</dt>
          <dd className="text-slate-800">{compactTypes(e.event_types)}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Delivery</dt>
          <dd className="text-slate-800">
            {e.ordered ? 'In order per conversation' : 'As fast as possible'}, up to {e.max_concurrency} at
            once
          </dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Last 24 h</dt>
          <dd className="text-slate-800">
            {e.stats.succeeded_24h} delivered, {e.stats.dead_24h} failed, {e.stats.pending} waiting
          </dd>
        </div>
      </dl>
      <div className="mt-4 border-t border-slate-100 pt-4">
        <p className="text-sm text-slate-700">
          Signing secret <code className="font-mono text-xs">{e.secret_prefix}…</code>
          {e.previous_secret_expires_at && (
            <span className="text-xs text-slate-500">
              {' '}
              (the previous one signs too until {new Date(e.previous_secret_expires_at).toLocaleString()})
            </span>
          )}
        </p>
        {secret ? (
          <SecretBox secret={secret} />
        ) : (
          <div className="mt-2 flex gap-2">
            <Button variant="secondary" onClick={() => reveal.mutate()}>
              Reveal secret
            </Button>
            <Button variant="secondary" onClick={() => setConfirm('rotate')}>
              Rotate secret
            </Button>
          </div>
        )}
      </div>
      {confirm === 'rotate' && (
        <div className="mt-3">
          <ConfirmPanel
            id={`rotate-${e.id}`}
            title="Make a new signing secret?"
            confirmLabel="Rotate secret"
            busyLabel="Rotating…"
            busy={rotate.isPending}
            error={rotate.error ? errorMessage(rotate.error) : undefined}
            onConfirm={() => rotate.mutate()}
            onCancel={() => setConfirm(null)}
          >
            Deliveries are signed with both secrets for 24 hours: put the new one in your receiver within that
            time.
          </ConfirmPanel>
        </div>
      )}
      {confirm === 'delete' && (
        <div className="mt-3">
          <ConfirmPanel
            id={`delete-${e.id}`}
            title="Delete this endpoint?"
            confirmLabel="Delete endpoint"
            busyLabel="Deleting…"
            busy={remove.isPending}
            error={remove.error ? errorMessage(remove.error) : undefined}
            onConfirm={() => remove.mutate()}
            onCancel={() => setConfirm(null)}
          >
            No more events are sent to it, and its delivery log is deleted.
          </ConfirmPanel>
        </div>
      )}
      {actionError && (
        <div className="mt-3">
          <Alert>{errorMessage(actionError)}</Alert>
        </div>
      )}
      {notice && (
        <div className="mt-3">
          <Alert kind="success">{notice}</Alert>
        </div>
      )}
    </Card>
  );
}

function DeliveryLog({ endpointId }: { endpointId: string }) {
  const [state, setState] = useState<State | ''>('');
  const [open, setOpen] = useState<string | null>(null);
  const filter = state ? { state } : {};
  const deliveries = useInfiniteQuery({
    queryKey: webhookKeys.deliveries(endpointId, filter),
    queryFn: ({ pageParam }) =>
      api.webhooks.endpoints.deliveries(endpointId, {
        ...filter,
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 5_000,
  });
  const rows = deliveries.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Card title="Delivery log" description="Each event sent to this endpoint, with every attempt.">
      <FilterBar label="Delivery filters" boxed={false}>
        <FilterSelect
          label="State"
          value={state}
          onChange={(v) => setState(v as State | '')}
          options={STATES}
        />
      </FilterBar>
      {deliveries.error && <Alert>{errorMessage(deliveries.error)}</Alert>}
      <Table
        caption="Deliveries"
        testId="webhook-deliveries"
        rows={rows}
        rowKey={(d) => d.id}
        status={deliveries.status}
        loadingText="Loading deliveries…"
        empty="No deliveries yet. “Send test event” sends one now."
        columns={[
          { header: 'Event', cell: () => null },
          { header: 'State', cell: () => null },
          { header: 'Attempts', align: 'right', cell: () => null },
          { header: 'Created', cell: () => null },
          { header: 'Details', headerHidden: true, cell: () => null },
        ]}
        renderRow={(d) => (
          <DeliveryRow
            key={d.id}
            d={d}
            open={open === d.id}
            toggle={() => setOpen(open === d.id ? null : d.id)}
          />
        )}
      />
      {deliveries.hasNextPage && (
        <div className="mt-3">
          <Button
            variant="secondary"
            disabledReason={deliveries.isFetchingNextPage && 'Loading…'}
            onClick={() => void deliveries.fetchNextPage()}
          >
            Load more
          </Button>
        </div>
      )}
      <ReplayRange endpointId={endpointId} />
    </Card>
  );
}

function DeliveryRow({ d, open, toggle }: { d: WebhookDelivery; open: boolean; toggle: () => void }) {
  return (
    <>
      <Tr data-state={d.state}>
        <Td>
          <span className="font-mono text-xs text-slate-900">{d.event_type}</span>
          <span className="block font-mono text-[11px] text-slate-500">{d.event_id}</span>
        </Td>
        <Td>
          <Badge tone={STATE_BADGE[d.state].tone}>{STATE_BADGE[d.state].label}</Badge>
          {d.last_status_code !== null && (
            <span className="ml-2 text-xs text-slate-600">HTTP {d.last_status_code}</span>
          )}
          {d.last_error && <span className="block text-xs text-red-700">{d.last_error}</span>}
          {d.state === 'retrying' && d.next_attempt_at && (
            <span className="block text-xs text-slate-500">
              Next try <RelativeTime iso={d.next_attempt_at} />
            </span>
          )}
        </Td>
        <Td className="text-right">{d.attempts}</Td>
        <Td>
          <RelativeTime iso={d.created_at} />
        </Td>
        <Td className="text-right">
          <Button
            variant="ghost"
            aria-expanded={open}
            aria-label={`Details of ${d.event_id}`}
            onClick={toggle}
          >
            {open ? 'Hide' : 'Details'}
          </Button>
        </Td>
      </Tr>
      {open && (
        <Tr>
          <Td colSpan={5} className="bg-slate-50">
            <DeliveryDetail id={d.id} />
          </Td>
        </Tr>
      )}
    </>
  );
}

function DeliveryDetail({ id }: { id: string }) {
  const qc = useQueryClient();
  const detail = useQuery({
    queryKey: webhookKeys.delivery(id),
    queryFn: () => api.webhooks.deliveries.get(id),
  });
  const replay = useMutation({
    mutationFn: () => api.webhooks.deliveries.replay(id),
    onSuccess: () => void qc.invalidateQueries({ queryKey: webhookKeys.all }),
  });
  if (detail.error) return <Alert>{errorMessage(detail.error)}</Alert>;
  if (!detail.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const d = detail.data;
  return (
    <div className="space-y-3" data-testid="delivery-detail">
      <Table
        caption="Attempts"
        look="plain"
        fontSize="xs"
        rows={d.attempts_log}
        rowKey={(a) => a.attempted_at}
        empty="Not tried yet."
        columns={[
          { header: 'When', cell: (a) => new Date(a.attempted_at).toLocaleString() },
          { header: 'Answer', cell: (a) => (a.status_code === null ? '—' : `HTTP ${a.status_code}`) },
          { header: 'Time', align: 'right', cell: (a) => `${a.latency_ms} ms` },
          {
            header: 'Response or error',
            cell: (a) => <span className="break-all font-mono">{a.error ?? a.response_excerpt ?? ''}</span>,
          },
        ]}
      />
      <div>
        <p className="text-xs font-medium text-slate-600">Body sent</p>
        <pre className="mt-1 max-h-64 overflow-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">
          {JSON.stringify(d.payload, null, 2)}
        </pre>
      </div>
      <div className="flex items-center gap-3">
        <Button
          variant="secondary"
          disabledReason={replay.isPending && 'Sending…'}
          onClick={() => replay.mutate()}
        >
          Replay
        </Button>
        {replay.isSuccess && (
          <span className="text-xs text-emerald-700" role="status">
            Queued again.
          </span>
        )}
        {replay.error && (
          <span className="text-xs text-red-700" role="alert">
            {errorMessage(replay.error)}
          </span>
        )}
      </div>
    </div>
  );
}

/** "Resend what failed since…": a range of the endpoint's deliveries, sent again with their ids. */
function ReplayRange({ endpointId }: { endpointId: string }) {
  const qc = useQueryClient();
  const [since, setSince] = useState('');
  const [all, setAll] = useState(false);
  const replay = useMutation({
    mutationFn: () =>
      api.webhooks.endpoints.replay(endpointId, {
        since: new Date(since).toISOString(),
        state: all ? 'all' : 'dead',
      }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: webhookKeys.all }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    replay.mutate();
  };
  return (
    <form
      aria-label="Replay deliveries"
      onSubmit={submit}
      className="mt-5 flex flex-wrap items-end gap-3 border-t border-slate-100 pt-4"
    >
      <Field label="Replay deliveries since">
        {(id) => (
          <Input id={id} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        )}
      </Field>
      <label className="flex items-center gap-2 pb-2 text-sm text-slate-700">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
        Also those that were delivered
      </label>
      <Button
        type="submit"
        variant="secondary"
        disabledReason={(!since && 'Pick a time first') || (replay.isPending && 'Replaying…')}
      >
        Replay
      </Button>
      {replay.data && (
        <span className="pb-2 text-sm text-emerald-700" role="status">
          {replay.data.replayed === 0
            ? 'Nothing to replay in that range.'
            : `${replay.data.replayed} queued again.`}
        </span>
      )}
      {replay.error && (
        <span className="pb-2 text-sm text-red-700" role="alert">
          {errorMessage(replay.error)}
        </span>
      )}
    </form>
  );
}
