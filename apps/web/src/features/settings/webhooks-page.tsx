import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api, errorMessage, fieldErrors } from '../../api.ts';
import { compactNames, GroupedCheckboxes } from '../../components/dotted-names.tsx';
import { RelativeTime } from '../../components/relative-time.tsx';
import { type Column, RowLink, Table } from '../../components/table.tsx';
import { Alert, Badge, type BadgeTone, Button, Card, Field, Input } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { webhookKeys } from './keys.ts';

type Created = Awaited<ReturnType<typeof api.webhooks.endpoints.create>>;
type EndpointInput = Parameters<typeof api.webhooks.endpoints.create>[0];

export const ENDPOINT_STATUS: Record<WebhookEndpoint['status'], { tone: BadgeTone; label: string }> = {
  active: { tone: 'green', label: 'Active' },
  paused: { tone: 'slate', label: 'Paused' },
  disabled: { tone: 'red', label: 'Disabled' },
};

/** "message: received, status_updated · contact: opted_out" */
export const compactTypes = compactNames;

/**
 * Settings → Webhooks: the organisation's endpoints that openwaba posts events to (Standard
 * Webhooks, signed), each with its delivery log on its own page. Admins only (`integrations.manage`).
 */
export function WebhooksPage() {
  const me = useMe();
  const canManage = me.data?.permissions.includes('integrations.manage') ?? false;
  if (me.data && !canManage)
    return <Alert kind="info">Only admins and owners manage webhook endpoints.</Alert>;
  return <Endpoints />;
}

function Endpoints() {
  const qc = useQueryClient();
  const list = useQuery({
    queryKey: webhookKeys.endpoints,
    queryFn: () => api.webhooks.endpoints.list(),
    refetchInterval: 15_000,
  });
  const [formOpen, setFormOpen] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const endpoints = list.data?.data ?? [];
  const columns: Column<WebhookEndpoint>[] = [
    {
      header: 'Endpoint',
      cell: (e) => (
        <span className="block min-w-0">
          <RowLink to={`/settings/webhooks/${e.id}`}>
            <span className="break-all font-mono text-xs">{e.url}</span>
          </RowLink>
          {e.description && <span className="block text-xs text-slate-500">{e.description}</span>}
        </span>
      ),
    },
    {
      header: 'Events',
      from: 'md',
      cell: (e) => (
        <span className="text-xs text-slate-700" title={e.event_types.join(', ')}>
          {compactTypes(e.event_types)}
        </span>
      ),
    },
    {
      header: 'Status',
      cell: (e) => (
        <span className="space-y-1">
          <Badge tone={ENDPOINT_STATUS[e.status].tone}>{ENDPOINT_STATUS[e.status].label}</Badge>
          {e.status === 'active' && e.failing_since && (
            <span className="block text-xs text-red-700">
              Failing since <RelativeTime iso={e.failing_since} />
            </span>
          )}
        </span>
      ),
    },
    {
      header: 'Last 24 h',
      from: 'lg',
      cell: (e) => (
        <span className="text-xs text-slate-700">
          {e.stats.succeeded_24h} delivered
          {e.stats.dead_24h > 0 && <span className="text-red-700"> · {e.stats.dead_24h} failed</span>}
          {e.stats.pending > 0 && <span> · {e.stats.pending} waiting</span>}
        </span>
      ),
    },
  ];
  return (
    <div className="max-w-6xl space-y-6">
      <Card
        title="Webhooks"
        description="openwaba posts the events you choose to these URLs as they happen, signed per the Standard Webhooks specification, and retries for about three days when an endpoint fails."
      >
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
        <Table
          caption="Webhook endpoints"
          testId="webhook-endpoints"
          columns={columns}
          rows={endpoints}
          rowKey={(e) => e.id}
          rowProps={(e) => ({ 'data-status': e.status })}
          status={list.status}
          loadingText="Loading endpoints…"
          empty="No endpoints yet."
        />
        {!formOpen && !created && (
          <div className="mt-4 border-t border-slate-100 pt-4">
            <Button onClick={() => setFormOpen(true)}>Add endpoint</Button>
          </div>
        )}
      </Card>
      {created && <CreatedEndpoint created={created} onDone={() => setCreated(null)} />}
      {formOpen && (
        <Card title="New endpoint" description="Events are posted as JSON: { type, timestamp, data }.">
          <EndpointForm
            submitLabel="Add endpoint"
            onCancel={() => setFormOpen(false)}
            save={(body) => api.webhooks.endpoints.create(body)}
            onSaved={(e) => {
              setFormOpen(false);
              setCreated(e as Created);
              void qc.invalidateQueries({ queryKey: webhookKeys.all });
            }}
          />
        </Card>
      )}
    </div>
  );
}

/**
 * The endpoint's settings, for a new one or an edit. The server checks the URL (a public https
 * address, or one on the self-hoster's allow-list) and says why it refuses one.
 */
export function EndpointForm({
  initial,
  submitLabel,
  save,
  onSaved,
  onCancel,
}: {
  initial?: WebhookEndpoint;
  submitLabel: string;
  save: (body: EndpointInput) => Promise<WebhookEndpoint>;
  onSaved: (e: WebhookEndpoint) => void;
  onCancel: () => void;
}) {
  const [url, setUrl] = useState(initial?.url ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [types, setTypes] = useState<string[]>(initial?.event_types ?? []);
  const [ordered, setOrdered] = useState(initial?.ordered ?? false);
  const [concurrency, setConcurrency] = useState(String(initial?.max_concurrency ?? 10));
  const typesLabel = useId();
  const mutation = useMutation({
    mutationFn: () =>
      save({
        url: url.trim(),
        description,
        event_types: WEBHOOK_EVENT_TYPES.filter((t) => types.includes(t)),
        ordered,
        max_concurrency: Number(concurrency),
      }),
    onSuccess: onSaved,
  });
  const errors = fieldErrors(mutation.error);
  const known = ['url', 'description', 'event_types', 'max_concurrency'];
  const fieldless = mutation.error && !known.some((k) => errors[k]);
  const toggle = (t: string) => setTypes((s) => (s.includes(t) ? s.filter((x) => x !== t) : [...s, t]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate();
  };
  return (
    <form aria-label={submitLabel} noValidate onSubmit={submit} className="space-y-5">
      <div className="grid max-w-3xl gap-4 md:grid-cols-2">
        <Field
          label="URL"
          hint="Where openwaba posts the events, e.g. https://shop.example/hooks/whatsapp."
          error={errors.url}
        >
          {(id) => (
            <Input
              id={id}
              type="url"
              value={url}
              maxLength={2000}
              placeholder="https://"
              onChange={(e) => setUrl(e.target.value)}
            />
          )}
        </Field>
        <Field label="Description (optional)" error={errors.description}>
          {(id) => (
            <Input
              id={id}
              value={description}
              maxLength={200}
              onChange={(e) => setDescription(e.target.value)}
            />
          )}
        </Field>
      </div>
      <fieldset aria-labelledby={typesLabel} className="space-y-3">
        <div className="flex flex-wrap items-center gap-2">
          <span id={typesLabel} className="text-sm font-medium text-slate-700">
            Events
          </span>
          <Button
            variant="secondary"
            className="px-2 py-1 text-xs"
            onClick={() => setTypes([...WEBHOOK_EVENT_TYPES])}
          >
            All
          </Button>
          <Button variant="ghost" className="px-2 py-1 text-xs" onClick={() => setTypes([])}>
            Clear
          </Button>
        </div>
        <GroupedCheckboxes names={WEBHOOK_EVENT_TYPES} checked={types} onToggle={toggle} />
        <p className="text-xs text-slate-500" aria-live="polite">
          {types.length === 0 ? 'No events chosen.' : `${types.length} chosen.`}
        </p>
        {errors.event_types && (
          <p className="text-xs text-red-700" role="alert">
            {errors.event_types}
          </p>
        )}
      </fieldset>
      <div className="grid max-w-3xl gap-4 md:grid-cols-2">
        <label className="flex items-start gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            className="mt-1"
            checked={ordered}
            onChange={(e) => setOrdered(e.target.checked)}
          />
          <span>
            <span className="font-medium">In order per conversation</span>
            <span className="block text-xs text-slate-500">
              One conversation's events are sent one at a time, each after the previous one succeeded or gave
              up. Slower; turn on only if your receiver needs it.
            </span>
          </span>
        </label>
        <Field
          label="Requests at once"
          hint="How many deliveries may be in flight to this URL (1–50)."
          error={errors.max_concurrency}
        >
          {(id) => (
            <Input
              id={id}
              type="number"
              min={1}
              max={50}
              value={concurrency}
              onChange={(e) => setConcurrency(e.target.value)}
            />
          )}
        </Field>
      </div>
      {fieldless && <Alert>{errorMessage(mutation.error)}</Alert>}
      <div className="flex gap-2">
        <Button type="submit" disabledReason={mutation.isPending && 'Saving…'}>
          {mutation.isPending ? 'Saving…' : submitLabel}
        </Button>
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** The signing secret of a new endpoint, with how to check a delivery with it. */
function CreatedEndpoint({ created, onDone }: { created: Created; onDone: () => void }) {
  return (
    <section
      aria-label="Endpoint added"
      className="rounded-lg border-2 border-amber-300 bg-amber-50 p-5 shadow-sm"
    >
      <h2 className="text-base font-semibold text-slate-900">Endpoint added</h2>
      <p className="mt-1 text-sm text-slate-700">
        Your receiver checks each delivery's signature with this secret. You can reveal it again on the
        endpoint's page.
      </p>
      <SecretBox secret={created.secret} />
      <div className="mt-4 flex gap-2">
        <Button onClick={onDone}>Done</Button>
      </div>
    </section>
  );
}

/** A signing secret with Copy, and the lines a Node receiver needs to verify with it. */
export function SecretBox({ secret }: { secret: string }) {
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copySecret = () => {
    navigator.clipboard.writeText(secret).then(
      () => setCopy('copied'),
      () => setCopy('failed'),
    );
  };
  const snippet = `import { verifyWebhook } from '@openwaba/sdk/webhooks';\n// raw body (string or Buffer), the request's headers\nconst event = verifyWebhook(rawBody, req.headers, process.env.OPENWABA_WEBHOOK_SECRET);`;
  return (
    <>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <code
          data-testid="webhook-secret"
          className="min-w-0 flex-1 select-all break-all rounded-md border border-amber-200 bg-white px-3 py-2 font-mono text-sm text-slate-900"
        >
          {secret}
        </code>
        <Button variant="secondary" onClick={copySecret}>
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      {copy === 'failed' && (
        <p className="mt-2 text-xs text-red-700" role="alert">
          The browser did not allow copying: select the secret and copy it by hand.
        </p>
      )}
      <pre className="mt-3 overflow-x-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">
        {snippet}
      </pre>
    </>
  );
}
