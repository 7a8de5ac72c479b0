import type { BillingOverview } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { billingKeys } from './keys.ts';

const money = (v: number, currency: string) => {
  try {
    return v.toLocaleString(undefined, { style: 'currency', currency, maximumFractionDigits: 4 });
  } catch {
    return `${v.toFixed(4)} ${currency}`;
  }
};

const toForm = (o: BillingOverview) => ({
  daily: o.caps.daily_message_cap === null ? '' : String(o.caps.daily_message_cap),
  monthly: o.caps.monthly_spend_cap === null ? '' : String(o.caps.monthly_spend_cap),
});

/**
 * Settings → Spend: the organisation's caps (messages a day, spend a month) and this month's
 * expected spend against the cap. Sends that would cross a cap are refused by the server.
 */
export function BillingPage() {
  const me = useMe();
  const qc = useQueryClient();
  const overview = useQuery({ queryKey: billingKeys.overview, queryFn: () => api.billing.overview() });
  const [form, setForm] = useState<{ daily: string; monthly: string } | null>(null);
  useEffect(() => {
    if (overview.data) setForm(toForm(overview.data));
  }, [overview.data]);
  const canEdit = me.data?.permissions.includes('org.update') ?? false;
  const save = useMutation({
    mutationFn: (f: { daily: string; monthly: string }) =>
      api.billing.setCaps({
        daily_message_cap: f.daily.trim() === '' ? null : Number(f.daily),
        monthly_spend_cap: f.monthly.trim() === '' ? null : Number(f.monthly),
      }),
    onSuccess: (next) => qc.setQueryData(billingKeys.overview, next),
  });
  if (overview.error) return <Alert>{errorMessage(overview.error)}</Alert>;
  if (!overview.data || !form) return <p role="status">Loading…</p>;
  const o = overview.data;
  const cap = o.caps.monthly_spend_cap;
  const pct = cap ? Math.min(100, Math.round((o.month.spend / cap) * 100)) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(form);
  };
  return (
    <form onSubmit={submit} className="max-w-2xl space-y-6">
      <Card
        title="This month"
        description="Expected spend of the messages sent since the 1st (UTC), from Meta's rate card; messages Meta reported as free count nothing."
      >
        <p className="text-2xl font-semibold text-slate-900" data-testid="month-spend">
          {money(o.month.spend, o.caps.currency)}
          {cap !== null && (
            <span className="ml-2 text-base font-normal text-slate-600">
              of {money(cap, o.caps.currency)}
            </span>
          )}
        </p>
        {pct !== null && (
          <div
            className="mt-2 h-2 w-full rounded bg-slate-100"
            role="progressbar"
            aria-label="Monthly spend against the cap"
            aria-valuenow={pct}
            aria-valuemin={0}
            aria-valuemax={100}
          >
            <div
              className={`h-2 rounded ${pct >= 80 ? 'bg-amber-500' : 'bg-brand-600'}`}
              style={{ width: `${pct}%` }}
            />
          </div>
        )}
        <p className="mt-2 text-sm text-slate-600">
          {o.month.messages.toLocaleString()} messages this month, {o.today.messages.toLocaleString()} today
          {o.caps.daily_message_cap !== null && ` (cap ${o.caps.daily_message_cap.toLocaleString()} a day)`}.
        </p>
      </Card>
      {!canEdit && <Alert kind="info">Only admins and owners can change the caps.</Alert>}
      {save.error && <Alert>{errorMessage(save.error)}</Alert>}
      {save.isSuccess && <Alert kind="success">Caps saved.</Alert>}
      <fieldset disabled={!canEdit || save.isPending} className="space-y-6">
        <Card
          title="Caps"
          description="A send that would cross a cap is refused (campaigns pause); admins are told when 80 % is used. Empty: no cap."
        >
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Messages a day" hint="Every outbound message of the organisation, per UTC day">
              {(id) => (
                <Input
                  id={id}
                  type="number"
                  min={1}
                  step={1}
                  value={form.daily}
                  onChange={(e) => setForm({ ...form, daily: e.target.value })}
                />
              )}
            </Field>
            <Field
              label={`Spend a month (${o.caps.currency})`}
              hint="Expected spend per calendar month (UTC)"
            >
              {(id) => (
                <Input
                  id={id}
                  type="number"
                  min={0}
                  step="0.01"
                  value={form.monthly}
                  onChange={(e) => setForm({ ...form, monthly: e.target.value })}
                />
              )}
            </Field>
          </div>
        </Card>
        <Button type="submit">{save.isPending ? 'Saving…' : 'Save caps'}</Button>
      </fieldset>
    </form>
  );
}
