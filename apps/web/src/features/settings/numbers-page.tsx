import type { WaNumber } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';

const EMPTY = {
  display_name: '',
  phone_number_id: '',
  waba_id: '',
  access_token: '',
  app_secret: '',
  verify_token: '',
};

/** Meta's own words, when Meta refused: shown so the person can fix the token or the ids. */
function metaDetails(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  const meta = (err.details as { meta?: { code: unknown; details: string | null } } | undefined)?.meta;
  return meta ? `Meta error ${String(meta.code)}${meta.details ? `: ${meta.details}` : ''}` : null;
}

function Badge({ tone, children }: { tone: 'green' | 'red' | 'amber' | 'slate'; children: string }) {
  const cls = {
    green: 'bg-green-100 text-green-800',
    red: 'bg-red-100 text-red-800',
    amber: 'bg-amber-100 text-amber-800',
    slate: 'bg-slate-100 text-slate-700',
  }[tone];
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${cls}`}>{children}</span>;
}

function NumberCard({ n, canManage }: { n: WaNumber; canManage: boolean }) {
  const qc = useQueryClient();
  const [token, setToken] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: ['numbers'] });
  const test = useMutation({ mutationFn: () => api.numbers.test(n.id), onSettled: refresh });
  const replace = useMutation({
    mutationFn: () => api.numbers.update(n.id, { access_token: token }),
    onSuccess: () => setToken(''),
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: () => api.numbers.remove(n.id), onSettled: refresh });
  const h = n.health;
  return (
    <Card>
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="text-base font-semibold">{n.display_name}</h3>
        <span className="text-sm text-slate-600">{h.display_phone_number ?? n.phone_number_id}</span>
        {n.is_sandbox && <Badge tone="amber">Sandbox</Badge>}
        <Badge tone={n.status === 'active' ? 'green' : 'red'}>
          {n.status === 'active' ? 'Active' : 'Stopped'}
        </Badge>
      </div>
      {n.inactive_reason && <p className="mt-2 text-sm text-red-700">{n.inactive_reason}</p>}
      <dl className="mt-3 grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4">
        {[
          ['Verified name', h.verified_name],
          ['Quality', h.quality_rating],
          ['Throughput', h.throughput_level],
          ['Messaging limit', h.messaging_limit_tier],
          ['Name status', h.name_status],
          ['Checked', h.checked_at ? new Date(h.checked_at).toLocaleString() : null],
          ['Phone number id', n.phone_number_id],
          ['WABA id', n.waba_id],
        ].map(([label, value]) => (
          <div key={label}>
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="text-slate-800">{value ?? '—'}</dd>
          </div>
        ))}
      </dl>
      {n.is_sandbox && (
        <p className="mt-3 text-sm text-slate-600">
          This number runs on the built-in WhatsApp simulator: simulated customers write in, nothing reaches
          real phones. Connect a real number below and the sandbox stops at the next start.
        </p>
      )}
      {canManage && (
        <div className="mt-4 flex flex-wrap items-end gap-3">
          <Button variant="secondary" onClick={() => test.mutate()} disabled={test.isPending}>
            Test connection
          </Button>
          {!n.is_sandbox && (
            <>
              <Field label="New access token">
                {(id) => (
                  <Input
                    id={id}
                    type="password"
                    value={token}
                    onChange={(e) => setToken(e.target.value)}
                    autoComplete="off"
                  />
                )}
              </Field>
              <Button
                variant="secondary"
                onClick={() => replace.mutate()}
                disabled={!token || replace.isPending}
              >
                Replace token
              </Button>
              <Button
                variant="danger"
                onClick={() => window.confirm(`Disconnect ${n.display_name}?`) && remove.mutate()}
              >
                Disconnect
              </Button>
            </>
          )}
        </div>
      )}
      {test.data && (
        <p className={`mt-3 text-sm ${test.data.ok ? 'text-green-700' : 'text-red-700'}`} role="status">
          {test.data.ok
            ? 'Meta answered: the connection works.'
            : `Meta refused: ${test.data.error?.title} (${String(test.data.error?.code)})`}
        </p>
      )}
      {(test.error || replace.error || remove.error) && (
        <Alert>
          {errorMessage(test.error ?? replace.error ?? remove.error)} {metaDetails(replace.error)}
        </Alert>
      )}
    </Card>
  );
}

export function NumbersPage() {
  const me = useMe();
  const qc = useQueryClient();
  const canManage = me.data?.permissions.includes('numbers.manage') ?? false;
  const list = useQuery({ queryKey: ['numbers'], queryFn: () => api.numbers.list() });
  const [form, setForm] = useState(EMPTY);
  const create = useMutation({
    mutationFn: () => api.numbers.create(form),
    onSuccess: () => {
      setForm(EMPTY);
      void qc.invalidateQueries({ queryKey: ['numbers'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  return (
    <div className="max-w-4xl space-y-6">
      {list.error && <Alert>{errorMessage(list.error)}</Alert>}
      {list.data?.data.map((n) => (
        <NumberCard key={n.id} n={n} canManage={canManage} />
      ))}
      {list.data && list.data.data.length === 0 && (
        <p className="text-sm text-slate-600">No number connected yet.</p>
      )}
      {canManage && (
        <Card
          title="Connect a WhatsApp number"
          description={`From Meta's WhatsApp Manager: the phone number id, the WhatsApp Business Account id and a system-user access token; from your Meta app: the app secret. Set the app's webhook to ${window.location.origin}/webhooks/whatsapp with the verify token you choose here.`}
        >
          <form onSubmit={submit} className="grid gap-4 sm:grid-cols-2">
            <Field label="Display name">
              {(id) => <Input id={id} value={form.display_name} onChange={set('display_name')} required />}
            </Field>
            <Field label="Phone number id">
              {(id) => (
                <Input
                  id={id}
                  value={form.phone_number_id}
                  onChange={set('phone_number_id')}
                  required
                  inputMode="numeric"
                />
              )}
            </Field>
            <Field label="WhatsApp Business Account id">
              {(id) => (
                <Input id={id} value={form.waba_id} onChange={set('waba_id')} required inputMode="numeric" />
              )}
            </Field>
            <Field label="Access token">
              {(id) => (
                <Input
                  id={id}
                  type="password"
                  value={form.access_token}
                  onChange={set('access_token')}
                  required
                  autoComplete="off"
                />
              )}
            </Field>
            <Field label="App secret">
              {(id) => (
                <Input
                  id={id}
                  type="password"
                  value={form.app_secret}
                  onChange={set('app_secret')}
                  required
                  autoComplete="off"
                />
              )}
            </Field>
            <Field label="Verify token" hint="Any string; paste the same into Meta's webhook settings.">
              {(id) => (
                <Input
                  id={id}
                  value={form.verify_token}
                  onChange={set('verify_token')}
                  required
                  autoComplete="off"
                />
              )}
            </Field>
            <div className="sm:col-span-2">
              {create.error && (
                <Alert>
                  {errorMessage(create.error)} {metaDetails(create.error)}
                </Alert>
              )}
              <Button type="submit" disabled={create.isPending} className="mt-2">
                {create.isPending ? 'Asking Meta…' : 'Test and connect'}
              </Button>
            </div>
          </form>
        </Card>
      )}
    </div>
  );
}
