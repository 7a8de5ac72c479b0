import { type ApiKey, PERMISSIONS, type Permission } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api, errorMessage, fieldErrors } from '../../api.ts';
import { compactNames, GroupedCheckboxes } from '../../components/dotted-names.tsx';
import { RelativeTime } from '../../components/relative-time.tsx';
import { type Column, Table } from '../../components/table.tsx';
import {
  Alert,
  Badge,
  type BadgeTone,
  Button,
  Card,
  ConfirmPanel,
  Field,
  Input,
} from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { apiKeyKeys } from './keys.ts';

type CreatedApiKey = Awaited<ReturnType<typeof api.apiKeys.create>>;

const STATUS_BADGE: Record<ApiKey['status'], { tone: BadgeTone; label: string }> = {
  active: { tone: 'green', label: 'Active' },
  expired: { tone: 'amber', label: 'Expired' },
  revoked: { tone: 'slate', label: 'Revoked' },
};

/** Every permission in the table's order (the order the server documents them in). */
const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

/** Permissions in the table's order (the order the server documents them in). */
const byTableOrder = (perms: readonly Permission[]) => ALL_PERMISSIONS.filter((p) => perms.includes(p));

/** "contacts: read, write · conversations: read": a key's scopes in one short line. */
export const compactScopes = (scopes: readonly Permission[]) => compactNames(byTableOrder(scopes));

/** A person's own scopes that a preset asks for: the presets never offer more than the role holds. */
const PRESETS: { label: string; pick: (held: readonly Permission[]) => Permission[] }[] = [
  { label: 'Read-only', pick: (held) => held.filter((p) => p.endsWith('.read')) },
  {
    label: 'Send messages',
    pick: (held) =>
      (
        ['conversations.read', 'conversations.reply', 'contacts.read', 'contacts.write'] as Permission[]
      ).filter((p) => held.includes(p)),
  },
];

/** A date picked (`2027-03-31`): the key works through the end of that day, in the browser's time zone. */
const endOfDay = (date: string) => new Date(`${date}T23:59:59.999`).toISOString();

const dateOnly = (iso: string) =>
  new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

/**
 * Settings → API keys: keys for scripts and other systems (`Authorization: Bearer owk_…`), each
 * scoped to permissions the creator's role holds. A key is shown once, when made. Admins only
 * (`integrations.manage`).
 */
export function ApiKeysPage() {
  const me = useMe();
  const canManage = me.data?.permissions.includes('integrations.manage') ?? false;
  if (me.data && !canManage)
    return <Alert kind="info">Only admins and owners make and revoke API keys.</Alert>;
  return <ApiKeysSection held={me.data?.permissions ?? []} />;
}

function ApiKeysSection({ held }: { held: readonly Permission[] }) {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: apiKeyKeys.all, queryFn: () => api.apiKeys.list() });
  const [formOpen, setFormOpen] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [doomed, setDoomed] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const revoke = useMutation({
    mutationFn: (k: ApiKey) => api.apiKeys.revoke(k.id),
    onSuccess: (revoked) => {
      setDoomed(null);
      setNotice(`Revoked “${revoked.name}”: it stops working at once.`);
      qc.setQueryData<{ data: ApiKey[] }>(apiKeyKeys.all, (old) =>
        old ? { data: old.data.map((k) => (k.id === revoked.id ? revoked : k)) } : old,
      );
      void qc.invalidateQueries({ queryKey: apiKeyKeys.all });
    },
  });

  const keys = list.data?.data ?? [];
  const columns: Column<ApiKey>[] = [
    { header: 'Name', cell: (k) => <span className="font-medium text-slate-900">{k.name}</span> },
    {
      header: 'Key',
      cell: (k) => <code className="whitespace-nowrap font-mono text-xs text-slate-700">{k.prefix}…</code>,
    },
    {
      header: 'Scopes',
      cell: (k) => (
        <span className="text-xs text-slate-700" title={k.scopes.join(', ')}>
          {compactScopes(k.scopes)}
        </span>
      ),
    },
    {
      header: 'Created by',
      from: 'lg',
      cell: (k) => <span className="break-words">{k.created_by.email}</span>,
    },
    { header: 'Created', from: 'md', cell: (k) => <RelativeTime iso={k.created_at} /> },
    {
      header: 'Expires',
      from: 'md',
      cell: (k) =>
        k.expires_at ? (
          <time dateTime={k.expires_at} title={new Date(k.expires_at).toLocaleString()}>
            {dateOnly(k.expires_at)}
          </time>
        ) : (
          <span className="text-slate-500">Never</span>
        ),
    },
    {
      header: 'Last used',
      cell: (k) =>
        k.last_used_at ? (
          <span>
            <RelativeTime iso={k.last_used_at} />
            {k.last_used_ip && <span className="block text-xs text-slate-500">from {k.last_used_ip}</span>}
          </span>
        ) : (
          <span className="text-slate-500">Never</span>
        ),
    },
    {
      header: 'Status',
      cell: (k) => <Badge tone={STATUS_BADGE[k.status].tone}>{STATUS_BADGE[k.status].label}</Badge>,
    },
    {
      header: 'Actions',
      headerHidden: true,
      align: 'right',
      cell: (k) =>
        k.status === 'active' && (
          <Button
            variant="ghost"
            aria-label={`Revoke ${k.name}`}
            onClick={() => {
              revoke.reset();
              setNotice(null);
              setDoomed(k);
            }}
          >
            Revoke
          </Button>
        ),
    },
  ];

  return (
    <div className="max-w-6xl space-y-6">
      <Card
        title="API keys"
        description="Keys let scripts and other systems use the API as you, limited to the scopes you choose. Send one as “Authorization: Bearer owk_…”."
      >
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
        <Table
          caption="API keys"
          testId="api-keys"
          columns={columns}
          rows={keys}
          rowKey={(k) => k.id}
          rowProps={(k) => ({ 'data-status': k.status })}
          status={list.status}
          loadingText="Loading API keys…"
          empty="No API keys yet."
        />
        {doomed && (
          <div className="mt-3">
            <ConfirmPanel
              id={`revoke-${doomed.id}`}
              title={`Revoke “${doomed.name}”?`}
              confirmLabel="Revoke key"
              busyLabel="Revoking…"
              busy={revoke.isPending}
              error={revoke.error ? errorMessage(revoke.error) : undefined}
              onConfirm={() => revoke.mutate(doomed)}
              onCancel={() => setDoomed(null)}
            >
              Whatever uses this key ({doomed.prefix}…) is refused from the next request on. This cannot be
              undone: make a new key instead.
            </ConfirmPanel>
          </div>
        )}
        {notice && (
          <div className="mt-3">
            <Alert kind="success">{notice}</Alert>
          </div>
        )}
        {!formOpen && !created && (
          <div className="mt-4 border-t border-slate-100 pt-4">
            <Button
              onClick={() => {
                setNotice(null);
                setFormOpen(true);
              }}
            >
              New API key
            </Button>
          </div>
        )}
      </Card>
      {created && <CreatedKey created={created} onDone={() => setCreated(null)} />}
      {formOpen && (
        <NewKeyForm
          held={held}
          onCancel={() => setFormOpen(false)}
          onCreated={(k) => {
            setFormOpen(false);
            setCreated(k);
            qc.setQueryData<{ data: ApiKey[] }>(apiKeyKeys.all, (old) =>
              old ? { data: [k, ...old.data.filter((x) => x.id !== k.id)] } : old,
            );
            void qc.invalidateQueries({ queryKey: apiKeyKeys.all });
          }}
        />
      )}
    </div>
  );
}

function NewKeyForm({
  held,
  onCancel,
  onCreated,
}: {
  held: readonly Permission[];
  onCancel: () => void;
  onCreated: (k: CreatedApiKey) => void;
}) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Permission[]>([]);
  const [expires, setExpires] = useState('');
  const scopesLabel = useId();
  const create = useMutation({
    mutationFn: () =>
      api.apiKeys.create({
        name,
        // In the table's order, so the stored list reads the same way as the form.
        scopes: ALL_PERMISSIONS.filter((p) => scopes.includes(p)),
        expires_at: expires ? endOfDay(expires) : null,
      }),
    onSuccess: onCreated,
  });
  const errors = fieldErrors(create.error);
  const fieldless = create.error && !errors.name && !errors.scopes && !errors.expires_at;
  const toggle = (p: Permission) => setScopes((s) => (s.includes(p) ? s.filter((x) => x !== p) : [...s, p]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const today = new Date();
  const minDate = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;

  return (
    <Card
      title="New API key"
      description="The key can do only what its scopes allow, and never more than your role can."
    >
      <form aria-label="New API key" noValidate onSubmit={submit} className="space-y-5">
        <div className="max-w-md">
          <Field label="Name" hint="What uses it, e.g. “Shop backend”." error={errors.name}>
            {(id) => <Input id={id} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />}
          </Field>
        </div>
        <fieldset aria-labelledby={scopesLabel} className="space-y-3">
          <div className="flex flex-wrap items-center gap-2">
            <span id={scopesLabel} className="text-sm font-medium text-slate-700">
              Scopes
            </span>
            <span className="text-xs text-slate-500">Presets:</span>
            {PRESETS.map((preset) => (
              <Button
                key={preset.label}
                variant="secondary"
                className="px-2 py-1 text-xs"
                onClick={() => setScopes(preset.pick(held))}
              >
                {preset.label}
              </Button>
            ))}
            <Button variant="ghost" className="px-2 py-1 text-xs" onClick={() => setScopes([])}>
              Clear
            </Button>
          </div>
          <GroupedCheckboxes names={byTableOrder(held)} checked={scopes} onToggle={toggle} />
          <p className="text-xs text-slate-500" aria-live="polite">
            {scopes.length === 0 ? 'No scopes chosen.' : `${scopes.length} chosen: ${compactScopes(scopes)}`}
          </p>
          {errors.scopes && (
            <p className="text-xs text-red-700" role="alert">
              {errors.scopes}
            </p>
          )}
        </fieldset>
        <div className="max-w-xs">
          <Field
            label="Expires (optional)"
            hint="The key works through the end of this day. Empty: until revoked."
            error={errors.expires_at}
          >
            {(id) => (
              <Input
                id={id}
                type="date"
                min={minDate}
                value={expires}
                onChange={(e) => setExpires(e.target.value)}
              />
            )}
          </Field>
        </div>
        {fieldless && <Alert>{errorMessage(create.error)}</Alert>}
        <div className="flex gap-2">
          <Button type="submit" disabledReason={create.isPending && 'Creating the key…'}>
            {create.isPending ? 'Creating…' : 'Create key'}
          </Button>
          <Button variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** The new key, whole, this once: the server keeps only its hash. */
function CreatedKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const curl = `curl -H "Authorization: Bearer ${created.key}" ${window.location.origin}/api/v1/contacts`;
  const copyKey = () => {
    navigator.clipboard.writeText(created.key).then(
      () => setCopy('copied'),
      () => setCopy('failed'),
    );
  };
  return (
    <section
      aria-label="New API key created"
      className="rounded-lg border-2 border-amber-300 bg-amber-50 p-5 shadow-sm"
    >
      <h2 className="text-base font-semibold text-slate-900">“{created.name}” is ready</h2>
      <p className="mt-1 text-sm font-medium text-amber-900">Copy it now: it will not be shown again.</p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <code
          data-testid="new-api-key"
          className="min-w-0 flex-1 select-all break-all rounded-md border border-amber-200 bg-white px-3 py-2 font-mono text-sm text-slate-900"
        >
          {created.key}
        </code>
        <Button variant="secondary" onClick={copyKey}>
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      {copy === 'failed' && (
        <p className="mt-2 text-xs text-red-700" role="alert">
          The browser did not allow copying: select the key and copy it by hand.
        </p>
      )}
      <p className="mt-4 text-sm text-slate-700">Try it:</p>
      <pre className="mt-1 overflow-x-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">
        {curl}
      </pre>
      <p className="mt-3 text-xs text-slate-600">Scopes: {compactScopes(created.scopes)}</p>
      <div className="mt-4">
        <Button onClick={onDone}>Done</Button>
      </div>
    </section>
  );
}
