import type { WaNumber } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { qualityName, tierLimit } from '../../components/meta-names.ts';
import { Alert, Badge, Button, Card, Field, Input } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { numberKeys } from '../numbers/keys.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import { DeleteNumber } from './delete-number.tsx';

const EMPTY = {
  display_name: '',
  phone_number_id: '',
  waba_id: '',
  access_token: '',
  app_secret: '',
  verify_token: '',
};
const FIELDS: {
  key: keyof typeof EMPTY;
  label: string;
  secret?: boolean;
  numeric?: boolean;
  hint?: string;
}[] = [
  { key: 'display_name', label: 'Display name' },
  { key: 'phone_number_id', label: 'Phone number id', numeric: true },
  { key: 'waba_id', label: 'WhatsApp Business Account id', numeric: true },
  { key: 'access_token', label: 'Access token', secret: true },
  { key: 'app_secret', label: 'App secret', secret: true },
  {
    key: 'verify_token',
    label: 'Verify token',
    hint: "Any string; paste the same into Meta's webhook settings.",
  },
];

/** Meta's own words, when Meta refused: shown so the person can fix the token or the ids. */
function metaDetails(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  const meta = (err.details as { meta?: { code: unknown; details: string | null } } | undefined)?.meta;
  return meta ? `Meta error ${String(meta.code)}${meta.details ? `: ${meta.details}` : ''}` : null;
}

/**
 * The number's business portfolio and its shared daily limit (Meta counts business-initiated unique
 * users per portfolio, across its numbers), the portfolio set by hand, and the Marketing Messages API.
 */
function Portfolio({ n, canManage }: { n: WaNumber; canManage: boolean }) {
  const qc = useQueryClient();
  const portfolio = useQuery({
    queryKey: [...numberKeys.all, 'portfolio', n.id],
    queryFn: () => api.numbers.portfolio(n.id),
  });
  const [business, setBusiness] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: numberKeys.all });
  const update = useMutation({
    mutationFn: (body: Parameters<typeof api.numbers.update>[1]) => api.numbers.update(n.id, body),
    onSuccess: () => setBusiness(''),
    onSettled: refresh,
  });
  const p = portfolio.data;
  const others = p ? p.numbers.filter((x) => x.id !== n.id) : [];
  return (
    <section aria-label="Business portfolio" className="mt-4 rounded-md border border-slate-200 p-3 text-sm">
      <h4 className="font-semibold text-slate-900">Business portfolio</h4>
      <p className="mt-1 text-slate-700">
        {n.business.id ? (
          <>
            {n.business.name ?? 'Portfolio'} <span className="text-slate-500">({n.business.id})</span>
            {n.business.source === 'manual' ? ' · set by hand' : ' · from Meta'}
          </>
        ) : (
          'Unknown: this number counts its daily limit alone.'
        )}
      </p>
      {p && (
        <p className="mt-1 text-slate-700" role="status">
          Daily limit of business-initiated customers{others.length ? ', shared with ' : ''}
          {others.map((x) => x.display_name).join(', ')}:{' '}
          {p.limit === null
            ? `${tierLimit(p.messaging_limit_tier) ?? 'unknown'} (no count kept)`
            : `${p.used} of ${p.limit} used in the last 24 hours`}
        </p>
      )}
      {portfolio.error && <Alert>{errorMessage(portfolio.error)}</Alert>}
      <p className="mt-2 text-slate-700">
        Marketing Messages API: {n.marketing_messages.enabled ? 'on' : 'off'}
        {n.marketing_messages.onboarding_status && ` · Meta says ${n.marketing_messages.onboarding_status}`}
      </p>
      {canManage && !n.is_sandbox && (
        <div className="mt-2 flex flex-wrap items-end gap-3">
          <Field label="Portfolio id (by hand)">
            {(id) => (
              <Input
                id={id}
                inputMode="numeric"
                value={business}
                onChange={(e) => setBusiness(e.target.value)}
                placeholder={n.business.id ?? ''}
              />
            )}
          </Field>
          <Button
            variant="secondary"
            onClick={() => update.mutate({ business_id: business.trim() })}
            disabledReason={update.isPending ? 'Saving…' : !business.trim() && 'Type the portfolio id first'}
          >
            Set portfolio
          </Button>
          {n.business.source === 'manual' && (
            <Button variant="secondary" onClick={() => update.mutate({ business_id: null })}>
              Read it from Meta
            </Button>
          )}
          <Button
            variant="secondary"
            onClick={() => update.mutate({ marketing_messages_api: !n.marketing_messages.enabled })}
            disabledReason={update.isPending && 'Asking Meta…'}
          >
            {n.marketing_messages.enabled
              ? 'Stop using the Marketing Messages API'
              : 'Use the Marketing Messages API'}
          </Button>
        </div>
      )}
      {update.error && <Alert>{errorMessage(update.error)}</Alert>}
    </section>
  );
}

function NumberCard({ n, canManage }: { n: WaNumber; canManage: boolean }) {
  const qc = useQueryClient();
  const [token, setToken] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: numberKeys.all });
  const test = useMutation({ mutationFn: () => api.numbers.test(n.id), onSettled: refresh });
  const replace = useMutation({
    mutationFn: () => api.numbers.update(n.id, { access_token: token }),
    onSuccess: () => setToken(''),
    onSettled: refresh,
  });
  const coexistence = useMutation({
    mutationFn: (on: boolean) => api.numbers.update(n.id, { coexistence: on }),
    onSettled: refresh,
  });
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
        {n.coexistence && <Badge tone="slate">WhatsApp Business app too · 20 msg/s</Badge>}
      </div>
      {n.inactive_reason && <p className="mt-2 text-sm text-red-700">{n.inactive_reason}</p>}
      <dl className="mt-3 grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4">
        {[
          ['Verified name', h.verified_name],
          ['Quality', qualityName(h.quality_rating)],
          ['Throughput', h.throughput_level],
          ['Messaging limit', tierLimit(h.messaging_limit_tier)],
          ['Name status', h.name_status],
          ['Checked', h.checked_at ? new Date(h.checked_at).toLocaleString() : null],
          ['Phone number id', n.phone_number_id],
          ['WABA id', n.waba_id],
          ['Meta app id', n.app_id],
        ].map(([label, value]) => (
          <div key={label}>
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="text-slate-800">{value ?? '—'}</dd>
          </div>
        ))}
      </dl>
      <Portfolio n={n} canManage={canManage} />
      {n.is_sandbox && (
        <p className="mt-3 text-sm text-slate-600">
          This number runs on the built-in WhatsApp simulator: simulated customers write in, nothing reaches
          real phones. Connect a real number below and the sandbox stops at the next start.
        </p>
      )}
      {canManage && (
        <div className="mt-4 flex flex-wrap items-end gap-3">
          <Button
            variant="secondary"
            onClick={() => test.mutate()}
            disabledReason={test.isPending && 'Asking Meta…'}
          >
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
                disabledReason={
                  replace.isPending ? 'Replacing…' : !token && 'Paste the new access token first'
                }
              >
                Replace token
              </Button>
              <label className="flex items-center gap-2 text-sm text-slate-700">
                <input
                  type="checkbox"
                  checked={n.coexistence}
                  disabled={coexistence.isPending}
                  onChange={(e) => coexistence.mutate(e.target.checked)}
                />
                Also used in the WhatsApp Business app (coexistence: sent at 20 msg/s)
              </label>
              <DeleteNumber n={n} />
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
      {(test.error || replace.error || coexistence.error) && (
        <Alert>
          {errorMessage(test.error ?? replace.error ?? coexistence.error)} {metaDetails(replace.error)}
        </Alert>
      )}
    </Card>
  );
}

export function NumbersPage() {
  const me = useMe();
  const qc = useQueryClient();
  const canManage = me.data?.permissions.includes('numbers.manage') ?? false;
  const list = useNumbers();
  const [form, setForm] = useState(EMPTY);
  const create = useMutation({
    mutationFn: () => api.numbers.create(form),
    onSuccess: () => {
      setForm(EMPTY);
      void qc.invalidateQueries({ queryKey: numberKeys.all });
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
            {FIELDS.map((f) => (
              <Field key={f.key} label={f.label} {...(f.hint ? { hint: f.hint } : {})}>
                {(id) => (
                  <Input
                    id={id}
                    type={f.secret ? 'password' : 'text'}
                    value={form[f.key]}
                    onChange={set(f.key)}
                    required
                    autoComplete="off"
                    {...(f.numeric ? { inputMode: 'numeric' as const } : {})}
                  />
                )}
              </Field>
            ))}
            <div className="sm:col-span-2">
              {create.error && (
                <Alert>
                  {errorMessage(create.error)} {metaDetails(create.error)}
                </Alert>
              )}
              <Button type="submit" disabledReason={create.isPending && 'Asking Meta…'} className="mt-2">
                {create.isPending ? 'Asking Meta…' : 'Test and connect'}
              </Button>
            </div>
          </form>
        </Card>
      )}
    </div>
  );
}
