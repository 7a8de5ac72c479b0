import { type Hours, HoursBody, WEEKDAYS } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { z } from 'zod';
import { api, errorMessage } from '../../api.ts';
import { Alert, Badge, Button, Card, ConfirmPanel, Field, Input, Select } from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { useOrg, useTeams } from '../settings/queries.ts';
import { NumberField, TextField } from './action-forms.tsx';
import { hoursLabel } from './hours-status.tsx';
import { automationKeys } from './keys.ts';
import { issuesOf, type Problems, problemAt, problemsOf } from './problems.ts';
import { useAutomationRights, useHoursList, useHoursStatus } from './queries.ts';

type HoursIn = z.input<typeof HoursBody>;
type Interval = { from: string; to: string };
type Day = (typeof WEEKDAYS)[number];

const DAY_NAMES: Record<Day, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** The IANA zones this browser knows, offered while typing. */
const ZONES: readonly string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();

const NINE_TO_FIVE = (): HoursIn['weekly'] =>
  Object.fromEntries(
    WEEKDAYS.map((d) => [d, d === 'sat' || d === 'sun' ? [] : [{ from: '09:00', to: '17:00' }]]),
  ) as HoursIn['weekly'];

const BLANK: HoursIn = {
  name: '',
  number_id: null,
  team_id: null,
  timezone: null,
  weekly: NINE_TO_FIVE(),
  closures: [],
  away_message: null,
  away_every_hours: 24,
  welcome_message: null,
  enabled: true,
};

const bodyOf = (h: Hours): HoursIn => ({
  name: h.name,
  number_id: h.number_id,
  team_id: h.team_id,
  timezone: h.timezone,
  weekly: h.weekly,
  closures: h.closures,
  away_message: h.away_message,
  away_every_hours: h.away_every_hours,
  welcome_message: h.welcome_message,
  enabled: h.enabled,
});

function useScopeName() {
  const numbers = useNumbers();
  const teams = useTeams();
  return (h: Pick<Hours, 'number_id' | 'team_id'>) => {
    if (h.number_id)
      return `Number: ${numbers.data?.data.find((n) => n.id === h.number_id)?.display_name ?? 'unknown'}`;
    if (h.team_id) return `Team: ${teams.data?.data.find((t) => t.id === h.team_id)?.name ?? 'unknown'}`;
    return 'Organisation default';
  };
}

/** Whether the schedule's scope is open now, as the server says. */
function ScheduleStatus({ h }: { h: Hours }) {
  const scope = h.number_id ? { number_id: h.number_id } : h.team_id ? { team_id: h.team_id } : {};
  const q = useHoursStatus(scope);
  const s = q.data;
  if (!s) return null;
  // Another schedule applies here (this one is disabled, or a more specific one wins).
  if (s.schedule_id !== h.id) return <span className="text-xs text-slate-500">Not in effect</span>;
  return (
    <Badge tone={s.open ? 'green' : 'amber'}>
      <span data-testid="schedule-status">{hoursLabel(s)}</span>
    </Badge>
  );
}

const daySummary = (w: Hours['weekly']) =>
  WEEKDAYS.map((d) => {
    const iv = w[d] ?? [];
    return `${DAY_NAMES[d].slice(0, 3)} ${iv.length ? iv.map((i) => `${i.from}–${i.to}`).join(', ') : 'closed'}`;
  }).join(' · ');

/** Closures and messages, in a line: "1 closure · away message (at most every 24 h) · welcome message". */
const extrasSummary = (h: Hours) =>
  [
    h.closures.length === 1
      ? '1 closure'
      : h.closures.length
        ? `${h.closures.length} closures`
        : 'no closures',
    h.away_message ? `away message (at most every ${h.away_every_hours} h)` : 'no away message',
    h.welcome_message ? 'welcome message' : null,
  ]
    .filter(Boolean)
    .join(' · ');

/** Automation → Business hours: the organisation's default schedule and those of numbers and teams. */
export function HoursPage() {
  const { canManage } = useAutomationRights();
  const list = useHoursList();
  const qc = useQueryClient();
  const scopeName = useScopeName();
  const [editing, setEditing] = useState<Hours | 'new' | null>(null);
  const [doomed, setDoomed] = useState<Hours | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (h: Hours) => api.automation.hours.remove(h.id),
    onSuccess: (_x, h) => {
      setDoomed(null);
      setNotice(`Deleted “${h.name}”.`);
      void qc.invalidateQueries({ queryKey: automationKeys.hours });
    },
  });
  const schedules = list.data?.data ?? [];
  return (
    <div className="max-w-5xl space-y-6">
      <Card
        title="Business hours"
        description="When you are open, per number or team (the organisation’s default elsewhere): an away message while closed, a welcome for a contact’s first message."
      >
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
        {list.isPending && (
          <p className="text-sm text-slate-500" role="status">
            Loading schedules…
          </p>
        )}
        {list.isSuccess && schedules.length === 0 && (
          <p className="text-sm text-slate-500">No schedule: you count as always open.</p>
        )}
        {schedules.length > 0 && (
          <ul aria-label="Schedules" className="divide-y divide-slate-100">
            {schedules.map((h) => (
              <li key={h.id} aria-label={h.name} className="py-3">
                <div className="flex flex-wrap items-start gap-3">
                  <div className="min-w-0 flex-1 basis-64">
                    <p className="font-medium text-slate-900">
                      {h.name} {!h.enabled && <Badge tone="slate">Off</Badge>}
                    </p>
                    <p className="text-sm text-slate-600">
                      {scopeName(h)}
                      {h.timezone ? ` · ${h.timezone}` : ''}
                    </p>
                    <p className="text-xs text-slate-500">{daySummary(h.weekly)}</p>
                    <p className="text-xs text-slate-500">{extrasSummary(h)}</p>
                  </div>
                  <ScheduleStatus h={h} />
                  {canManage && (
                    <span className="flex shrink-0 gap-1">
                      <Button
                        variant="secondary"
                        aria-label={`Edit ${h.name}`}
                        onClick={() => {
                          setNotice(null);
                          setEditing(h);
                        }}
                      >
                        Edit
                      </Button>
                      <Button variant="ghost" aria-label={`Delete ${h.name}`} onClick={() => setDoomed(h)}>
                        Delete
                      </Button>
                    </span>
                  )}
                </div>
                {doomed?.id === h.id && (
                  <div className="mt-3">
                    <ConfirmPanel
                      id={`delete-hours-${h.id}`}
                      title={`Delete “${h.name}”?`}
                      confirmLabel="Delete schedule"
                      busyLabel="Deleting…"
                      busy={remove.isPending}
                      error={remove.error ? errorMessage(remove.error) : undefined}
                      onConfirm={() => remove.mutate(h)}
                      onCancel={() => setDoomed(null)}
                    >
                      Its scope falls back to the organisation’s default schedule, or always open.
                    </ConfirmPanel>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
        {notice && (
          <div className="mt-3">
            <Alert kind="success">{notice}</Alert>
          </div>
        )}
        {canManage && editing === null && (
          <div className="mt-4 border-t border-slate-100 pt-4">
            <Button
              onClick={() => {
                setNotice(null);
                setEditing('new');
              }}
            >
              New schedule
            </Button>
          </div>
        )}
      </Card>
      {canManage && editing !== null && (
        <HoursEditor
          key={editing === 'new' ? 'new' : editing.id}
          initial={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            setNotice(saved ? `Saved “${saved.name}”.` : null);
          }}
        />
      )}
    </div>
  );
}

/** Opening intervals of one day (or one closure): from–to pairs, added and removed. */
function IntervalsEditor({
  label,
  value,
  onChange,
  problems,
  path,
}: {
  label: string;
  value: Interval[];
  onChange: (v: Interval[]) => void;
  problems: Problems;
  path: string;
}) {
  const set = (i: number, iv: Interval) => onChange(value.map((x, j) => (j === i ? iv : x)));
  return (
    <div className="flex flex-wrap items-center gap-2">
      {value.length === 0 && <span className="text-sm text-slate-500">Closed</span>}
      {value.map((iv, i) => {
        const error = problemAt(problems, `${path}.${i}`);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: intervals are edited in place
          <span key={i} className="inline-flex flex-wrap items-center gap-1">
            <Input
              aria-label={`${label} interval ${i + 1} from`}
              className="w-20"
              value={iv.from}
              placeholder="09:00"
              aria-invalid={error ? true : undefined}
              onChange={(e) => set(i, { ...iv, from: e.target.value })}
            />
            <span aria-hidden="true">–</span>
            <Input
              aria-label={`${label} interval ${i + 1} to`}
              className="w-20"
              value={iv.to}
              placeholder="17:00"
              aria-invalid={error ? true : undefined}
              onChange={(e) => set(i, { ...iv, to: e.target.value })}
            />
            <Button
              variant="ghost"
              className="px-2"
              aria-label={`Remove ${label} interval ${i + 1}`}
              onClick={() => onChange(value.filter((_, j) => j !== i))}
            >
              ×
            </Button>
            {error && (
              <span className="text-xs text-red-700" role="alert">
                {error}
              </span>
            )}
          </span>
        );
      })}
      <Button
        variant="ghost"
        className="px-2 text-xs"
        aria-label={`Add ${label} interval`}
        disabledReason={value.length >= 6 && 'At most six intervals a day'}
        onClick={() => {
          const last = value.at(-1);
          onChange([...value, last ? { from: last.to, to: '24:00' } : { from: '09:00', to: '17:00' }]);
        }}
      >
        + Interval
      </Button>
    </div>
  );
}

function HoursEditor({ initial, onDone }: { initial: Hours | null; onDone: (saved: Hours | null) => void }) {
  const qc = useQueryClient();
  const numbers = useNumbers();
  const teams = useTeams();
  const org = useOrg();
  const [body, setBody] = useState<HoursIn>(initial ? bodyOf(initial) : BLANK);
  // Once the person tried to save, the schema is checked again as they type.
  const [tried, setTried] = useState(false);
  const save = useMutation({
    mutationFn: (b: HoursIn) =>
      initial ? api.automation.hours.update(initial.id, b) : api.automation.hours.create(b),
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: automationKeys.hours });
      onDone(saved);
    },
  });
  const checked = HoursBody.safeParse(body);
  const local: Problems = tried && !checked.success ? issuesOf(checked.error.issues) : {};
  const problems: Problems = { ...local, ...problemsOf(save.error) };
  const set = (patch: Partial<HoursIn>) => {
    setBody((b) => ({ ...b, ...patch }));
    if (save.error) save.reset();
  };
  const scope = body.number_id ? `n:${body.number_id}` : body.team_id ? `t:${body.team_id}` : '';
  const closures = body.closures ?? [];
  const setClosure = (i: number, c: (typeof closures)[number]) =>
    set({ closures: closures.map((x, j) => (j === i ? c : x)) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.reset();
    setTried(true);
    if (checked.success) save.mutate(body);
  };
  const title = initial ? `Edit ${initial.name}` : 'New schedule';
  const allProblems = Object.entries(problems);
  return (
    <Card title={title}>
      <form aria-label={title} noValidate onSubmit={submit} className="space-y-5">
        <div className="grid gap-4 sm:grid-cols-3">
          <TextField
            label="Name"
            value={body.name}
            error={problems.name}
            onChange={(name) => set({ name })}
          />
          <Field label="Applies to" error={problems.number_id ?? problems.team_id}>
            {(id) => (
              <Select
                id={id}
                value={scope}
                onChange={(e) => {
                  const v = e.target.value;
                  set({
                    number_id: v.startsWith('n:') ? v.slice(2) : null,
                    team_id: v.startsWith('t:') ? v.slice(2) : null,
                  });
                }}
              >
                <option value="">The organisation (default)</option>
                {(numbers.data?.data ?? []).map((n) => (
                  <option key={n.id} value={`n:${n.id}`}>
                    {`Number: ${n.display_name}`}
                  </option>
                ))}
                {(teams.data?.data ?? []).map((t) => (
                  <option key={t.id} value={`t:${t.id}`}>
                    {`Team: ${t.name}`}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field
            label="Time zone"
            hint={`Empty: the organisation’s (${org.data?.settings.timezone ?? '…'})`}
            error={problems.timezone}
          >
            {(id) => (
              <>
                <Input
                  id={id}
                  list="hours-zones"
                  value={body.timezone ?? ''}
                  placeholder={org.data?.settings.timezone ?? 'Europe/London'}
                  onChange={(e) => set({ timezone: e.target.value.trim() === '' ? null : e.target.value })}
                />
                <datalist id="hours-zones">
                  {ZONES.map((z) => (
                    <option key={z} value={z} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
        </div>
        <fieldset className="space-y-2">
          <legend className="text-sm font-semibold text-slate-800">Weekly hours</legend>
          <p className="text-xs text-slate-500">
            HH:MM, 00:00–24:00; across midnight, end one day at 24:00 and start the next at 00:00.
          </p>
          <table className="w-full text-sm">
            <caption className="sr-only">Weekly hours</caption>
            <tbody>
              {WEEKDAYS.map((d) => (
                <tr key={d} className="border-t border-slate-100 align-top">
                  <th scope="row" className="w-28 py-2 pr-3 text-left font-medium text-slate-700">
                    {DAY_NAMES[d]}
                  </th>
                  <td className="py-2">
                    <IntervalsEditor
                      label={DAY_NAMES[d]}
                      value={body.weekly[d] ?? []}
                      problems={problems}
                      path={`weekly.${d}`}
                      onChange={(iv) => set({ weekly: { ...body.weekly, [d]: iv } })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </fieldset>
        <fieldset className="space-y-2">
          <legend className="text-sm font-semibold text-slate-800">Closures and holidays</legend>
          {closures.length === 0 && <p className="text-sm text-slate-500">None.</p>}
          {closures.map((c, i) => (
            <fieldset
              // biome-ignore lint/suspicious/noArrayIndexKey: closures are edited in place
              key={i}
              className="space-y-2 rounded-md border border-slate-200 p-3"
            >
              <legend className="px-1 text-xs font-medium text-slate-600">Closure {i + 1}</legend>
              <div className="flex flex-wrap items-end gap-3">
                <Field label="Date" error={problems[`closures.${i}.date`]}>
                  {(id) => (
                    <Input
                      id={id}
                      type="date"
                      className="w-44"
                      value={c.date}
                      onChange={(e) => setClosure(i, { ...c, date: e.target.value })}
                    />
                  )}
                </Field>
                <TextField
                  label="Name"
                  value={c.name ?? ''}
                  error={problems[`closures.${i}.name`]}
                  onChange={(name) => setClosure(i, { ...c, name })}
                />
                <Button
                  variant="ghost"
                  aria-label={`Remove closure ${i + 1}`}
                  onClick={() => set({ closures: closures.filter((_, j) => j !== i) })}
                >
                  Remove
                </Button>
              </div>
              <div className="text-sm">
                <span className="mr-2 text-slate-600">Special hours (none: closed all day):</span>
                <IntervalsEditor
                  label={`Closure ${i + 1}`}
                  value={c.open ?? []}
                  problems={problems}
                  path={`closures.${i}.open`}
                  onChange={(open) => setClosure(i, { ...c, open })}
                />
              </div>
            </fieldset>
          ))}
          <Button
            variant="secondary"
            onClick={() =>
              set({
                closures: [...closures, { date: new Date().toISOString().slice(0, 10), name: '', open: [] }],
              })
            }
          >
            Add closure
          </Button>
        </fieldset>
        <div className="grid gap-4 sm:grid-cols-2">
          <div className="space-y-2">
            <TextField
              label="Away message"
              multiline
              hint="Sent when a customer writes while closed; empty: none"
              value={body.away_message ?? ''}
              error={problems.away_message}
              onChange={(v) => set({ away_message: v === '' ? null : v })}
            />
            <NumberField
              label="At most once every (hours)"
              min={1}
              max={720}
              value={body.away_every_hours}
              error={problems.away_every_hours}
              onChange={(away_every_hours) => set({ away_every_hours })}
            />
          </div>
          <TextField
            label="Welcome message"
            multiline
            hint="Sent for a contact’s first message ever (open or closed); empty: none"
            value={body.welcome_message ?? ''}
            error={problems.welcome_message}
            onChange={(v) => set({ welcome_message: v === '' ? null : v })}
          />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={body.enabled ?? true}
            onChange={(e) => set({ enabled: e.target.checked })}
          />
          Enabled
        </label>
        {save.error && <Alert>{errorMessage(save.error)}</Alert>}
        {!save.error && allProblems.length > 0 && (
          <Alert>
            <p>Please fix:</p>
            <ul className="list-disc pl-5">
              {allProblems.map(([path, message]) => (
                <li key={path}>{`${path || 'schedule'}: ${message}`}</li>
              ))}
            </ul>
          </Alert>
        )}
        <div className="flex gap-2">
          <Button type="submit" disabledReason={save.isPending && 'Saving…'}>
            {save.isPending ? 'Saving…' : 'Save schedule'}
          </Button>
          <Button variant="secondary" onClick={() => onDone(null)}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
