import { CAMPAIGN_CATEGORIES, type Org } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';

interface FormState {
  name: string;
  timezone: string;
  default_region: string;
  allowed_countries: string;
  retention_days: string;
  campaign_categories: string[];
}

const toForm = (org: Org): FormState => ({
  name: org.name,
  timezone: org.settings.timezone,
  default_region: org.settings.default_region,
  allowed_countries: org.settings.allowed_countries.join(', '),
  retention_days: org.settings.retention_days === null ? '' : String(org.settings.retention_days),
  campaign_categories: org.settings.campaign_categories,
});

const TIMEZONES: string[] = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.(
  'timeZone',
) ?? ['UTC'];

export function OrgSettingsPage() {
  const me = useMe();
  const qc = useQueryClient();
  const org = useQuery({ queryKey: ['org'], queryFn: () => api.orgs.current() });
  const [form, setForm] = useState<FormState | null>(null);
  useEffect(() => {
    if (org.data) setForm(toForm(org.data));
  }, [org.data]);
  const canEdit = me.data?.permissions.includes('org.update') ?? false;
  const save = useMutation({
    mutationFn: (f: FormState) =>
      api.orgs.update({
        name: f.name,
        settings: {
          timezone: f.timezone,
          default_region: f.default_region.trim().toUpperCase(),
          allowed_countries: f.allowed_countries
            .split(/[\s,]+/)
            .map((s) => s.trim().toUpperCase())
            .filter(Boolean),
          retention_days: f.retention_days.trim() === '' ? null : Number(f.retention_days),
          campaign_categories: f.campaign_categories as (typeof CAMPAIGN_CATEGORIES)[number][],
        },
      }),
    onSuccess: (next) => {
      qc.setQueryData(['org'], next);
      qc.invalidateQueries({ queryKey: ['me'] });
    },
  });
  if (org.error) return <Alert>{errorMessage(org.error)}</Alert>;
  if (!form) return <p role="status">Loading…</p>;
  const set = (patch: Partial<FormState>) => setForm({ ...form, ...patch });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(form);
  };
  return (
    <form onSubmit={submit} className="max-w-2xl space-y-6">
      {!canEdit && <Alert kind="info">Only admins and owners can change these settings.</Alert>}
      {save.error && <Alert>{errorMessage(save.error)}</Alert>}
      {save.isSuccess && <Alert kind="success">Settings saved.</Alert>}
      <fieldset disabled={!canEdit || save.isPending} className="space-y-6">
        <Card title="Organisation">
          <Field label="Name">
            {(id) => <Input id={id} value={form.name} onChange={(e) => set({ name: e.target.value })} />}
          </Field>
        </Card>
        <Card title="Region and time" description="Times are stored in UTC and shown in this time zone.">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Time zone">
              {(id) => (
                <Input
                  id={id}
                  list="timezones"
                  value={form.timezone}
                  onChange={(e) => set({ timezone: e.target.value })}
                />
              )}
            </Field>
            <datalist id="timezones">
              {TIMEZONES.map((tz) => (
                <option key={tz} value={tz} />
              ))}
            </datalist>
            <Field
              label="Default phone region"
              hint="Two-letter country code used for numbers without +, e.g. IN"
            >
              {(id) => (
                <Input
                  id={id}
                  maxLength={2}
                  value={form.default_region}
                  onChange={(e) => set({ default_region: e.target.value })}
                />
              )}
            </Field>
            <Field label="Allowed countries" hint="Comma-separated country codes; empty allows every country">
              {(id) => (
                <Input
                  id={id}
                  value={form.allowed_countries}
                  onChange={(e) => set({ allowed_countries: e.target.value })}
                />
              )}
            </Field>
            <Field label="Keep messages for (days)" hint="Empty keeps everything forever">
              {(id) => (
                <Input
                  id={id}
                  inputMode="numeric"
                  value={form.retention_days}
                  onChange={(e) => set({ retention_days: e.target.value })}
                />
              )}
            </Field>
          </div>
        </Card>
        <Card
          title="Campaign template categories"
          description="Campaigns may only send templates of these categories. Authentication templates are never allowed in campaigns."
        >
          <div className="flex gap-6">
            {CAMPAIGN_CATEGORIES.map((c) => (
              <label key={c} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={form.campaign_categories.includes(c)}
                  onChange={(e) =>
                    set({
                      campaign_categories: e.target.checked
                        ? [...form.campaign_categories, c]
                        : form.campaign_categories.filter((x) => x !== c),
                    })
                  }
                />
                {c.charAt(0) + c.slice(1).toLowerCase()}
              </label>
            ))}
          </div>
        </Card>
        {canEdit && (
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save settings'}
          </Button>
        )}
      </fieldset>
    </form>
  );
}
