import { CAMPAIGN_CATEGORIES, type Org } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import { authKeys } from '../auth/keys.ts';
import { useMe } from '../auth/use-me.ts';
import { contactKeys } from '../contacts/keys.ts';
import { inboxKeys } from '../inbox/keys.ts';
import { AboutCard } from './about-card.tsx';
import { orgKeys, retentionKeys } from './keys.ts';
import { useOrg } from './queries.ts';

interface FormState {
  name: string;
  timezone: string;
  default_region: string;
  allowed_countries: string;
  retention_days: string;
  campaign_categories: string[];
  hide_phone_numbers: boolean;
  marketing_messages_fallback: 'fallback' | 'fail';
}

const toForm = (org: Org): FormState => ({
  name: org.name,
  timezone: org.settings.timezone,
  default_region: org.settings.default_region,
  allowed_countries: org.settings.allowed_countries.join(', '),
  retention_days: org.settings.retention_days === null ? '' : String(org.settings.retention_days),
  campaign_categories: org.settings.campaign_categories,
  hide_phone_numbers: org.settings.hide_phone_numbers,
  marketing_messages_fallback: org.settings.marketing_messages_fallback,
});

const TIMEZONES: string[] = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.(
  'timeZone',
) ?? ['UTC'];

export function OrgSettingsPage() {
  const me = useMe();
  const qc = useQueryClient();
  const org = useOrg();
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
          hide_phone_numbers: f.hide_phone_numbers,
          marketing_messages_fallback: f.marketing_messages_fallback,
        },
      }),
    onSuccess: (next) => {
      qc.setQueryData(orgKeys.current, next);
      qc.invalidateQueries({ queryKey: authKeys.me });
      qc.invalidateQueries({ queryKey: retentionKeys.all });
      // Phones shown everywhere follow the new setting.
      qc.invalidateQueries({ queryKey: contactKeys.all });
      qc.invalidateQueries({ queryKey: inboxKeys.all });
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
      <fieldset
        disabled={!canEdit || save.isPending}
        title={!canEdit ? 'Only admins and owners can change these settings.' : undefined}
        className="space-y-6"
      >
        <Card title="Organisation">
          <Field label="Name">
            {(id) => <Input id={id} value={form.name} onChange={(e) => set({ name: e.target.value })} />}
          </Field>
        </Card>
        <Card
          title="Region and time"
          description="Campaign schedules are set and shown in this time zone. Other times in the dashboard are shown in your browser's time zone."
        >
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
            <Field
              label="Allowed countries"
              hint="Contacts you add or import must have a phone number of one of these countries (codes separated by commas); empty allows every country"
            >
              {(id) => (
                <Input
                  id={id}
                  value={form.allowed_countries}
                  onChange={(e) => set({ allowed_countries: e.target.value })}
                />
              )}
            </Field>
            <Field
              label="Keep messages for (days)"
              hint="Empty keeps everything forever. Older messages, their files, delivery statuses and stored webhook bodies are deleted every night."
            >
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
          {canEdit && <RetentionPreviewNote days={form.retention_days} />}
        </Card>
        <Card
          title="Privacy"
          description="Owners, admins and managers always see customers' phone numbers; they import, export and run campaigns on them."
        >
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              className="mt-0.5"
              checked={form.hide_phone_numbers}
              onChange={(e) => set({ hide_phone_numbers: e.target.checked })}
            />
            <span>
              <span className="font-medium text-slate-900">
                Hide customers' phone numbers from agents and viewers
              </span>
              <span className="block text-slate-600">
                They see +44 ••• ••• 4321 in the inbox, contacts, campaign reports and exports, and cannot
                search by phone digits.
              </span>
            </span>
          </label>
        </Card>
        <Card
          title="Marketing Messages API"
          description="Numbers with the Marketing Messages API on send MARKETING templates through it. When Meta says the number's WhatsApp Business Account is not onboarded:"
        >
          <fieldset className="space-y-1 text-sm">
            <legend className="sr-only">When the WABA is not onboarded</legend>
            {(
              [
                ['fallback', 'Send them through the Cloud API (/messages) instead'],
                ['fail', 'Do not send them; the message fails with the reason'],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="flex items-center gap-2">
                <input
                  type="radio"
                  name="marketing_messages_fallback"
                  checked={form.marketing_messages_fallback === value}
                  onChange={() => set({ marketing_messages_fallback: value })}
                />
                {label}
              </label>
            ))}
          </fieldset>
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
          <Button type="submit" disabledReason={save.isPending && 'Saving…'}>
            {save.isPending ? 'Saving…' : 'Save settings'}
          </Button>
        )}
      </fieldset>
      <AboutCard />
    </form>
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/**
 * What the next nightly run would delete with the days typed (saved or not): a dry run on the
 * server, read again a moment after the person stops typing.
 */
function RetentionPreviewNote({ days }: { days: string }) {
  const [settled, setSettled] = useState(days);
  useEffect(() => {
    const t = setTimeout(() => setSettled(days), 400);
    return () => clearTimeout(t);
  }, [days]);
  const value = settled.trim() === '' ? null : Number(settled);
  const valid = value === null || (Number.isInteger(value) && value >= 1 && value <= 36500);
  const preview = useQuery({
    queryKey: retentionKeys.preview(value),
    queryFn: () => api.retention.preview(value === null ? {} : { days: value }),
    enabled: valid && value !== null,
  });
  if (!valid)
    return <p className="mt-3 text-sm text-red-700">Enter a whole number of days from 1 to 36500.</p>;
  const p = preview.data;
  return (
    <div
      className="mt-3 rounded-md bg-slate-50 p-3 text-sm text-slate-700"
      role="status"
      aria-label="Retention preview"
    >
      {value === null ? (
        <p>Nothing is deleted: messages are kept forever.</p>
      ) : preview.error ? (
        <p>{errorMessage(preview.error)}</p>
      ) : !p ? (
        <p>Counting what would be deleted…</p>
      ) : (
        <p>
          The next run ({new Date(p.next_run_at).toLocaleString()}) would delete{' '}
          <strong>{plural(p.counts.messages, 'message')}</strong>, {plural(p.counts.media_files, 'file')},{' '}
          {plural(p.counts.status_events, 'delivery status', 'delivery statuses')},{' '}
          {plural(p.counts.flow_runs, 'finished flow run')} and{' '}
          {plural(p.counts.webhook_events, 'stored webhook body', 'stored webhook bodies')} older than{' '}
          {p.cutoff ? new Date(p.cutoff).toLocaleDateString() : '—'}
          {Object.values(p.counts).some((n) => n >= p.count_limit) ? ' (counts stop at the limit shown)' : ''}
          .
        </p>
      )}
      {p?.last_run && (
        <p className="mt-1 text-slate-500">
          Last run {new Date(p.last_run.at).toLocaleString()}:{' '}
          {plural(p.last_run.deleted.messages, 'message')} and{' '}
          {plural(p.last_run.deleted.media_files, 'file')} deleted.
        </p>
      )}
    </div>
  );
}
