import type { AutomationAction, ButtonsSpec, ListSpec, TemplateSpec } from '@openwaba/contracts';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, type TextareaHTMLAttributes, useState } from 'react';
import type { z } from 'zod';
import { api } from '../../api.ts';
import { Button, cx, Field, Input, Select } from '../../components/ui.tsx';
import { useMembers, useTeams } from '../settings/queries.ts';
import { templateKeys } from '../templates/keys.ts';
import { type Problems, problemAt } from './problems.ts';
import { useFlows } from './queries.ts';

export type ActionIn = z.input<typeof AutomationAction>;
export type ActionType = ActionIn['type'];
type ButtonsIn = z.input<typeof ButtonsSpec>;
type ListIn = z.input<typeof ListSpec>;
export type TemplateIn = z.input<typeof TemplateSpec>;

const textareaClass =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-brand-600 focus:outline-none';

export function TextArea(props: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <textarea rows={3} {...props} className={cx(textareaClass, props.className)} />;
}

/** Where a form's messages are found: the problems by path, and this part's own path. */
export interface At {
  problems: Problems;
  path: string;
}
export const sub = (at: At, key: string | number): At => ({
  problems: at.problems,
  path: at.path ? `${at.path}.${key}` : String(key),
});
export const err = (at: At, key?: string | number) =>
  problemAt(at.problems, key === undefined ? at.path : sub(at, key).path);

export const ACTION_LABELS: Record<ActionType, string> = {
  reply_text: 'Reply with text',
  send_template: 'Send a template',
  send_buttons: 'Send buttons',
  send_list: 'Send a list',
  add_tags: 'Add tags',
  remove_tags: 'Remove tags',
  set_field: 'Set a contact field',
  assign: 'Assign',
  set_status: 'Set conversation status',
  start_flow: 'Start a flow',
  stop_flow: 'Stop the running flow',
  handover: 'Hand over to a person',
};

/** A fresh action of a type: its required texts empty, for the person to fill. */
export function blankAction(type: ActionType): ActionIn {
  switch (type) {
    case 'reply_text':
      return { type, text: '' };
    case 'send_template':
      return { type, template: { name: '', language: '', body_params: [] } };
    case 'send_buttons':
      return { type, buttons: { body: '', buttons: [{ id: 'yes', title: 'Yes' }] } };
    case 'send_list':
      return { type, list: { body: '', button: 'Options', rows: [{ id: 'one', title: 'One' }] } };
    case 'add_tags':
    case 'remove_tags':
      return { type, tags: [] };
    case 'set_field':
      return { type, key: '', value: '' };
    case 'assign':
      return { type, assignee: 'round_robin', team_id: null };
    case 'set_status':
      return { type, status: 'resolved' };
    case 'start_flow':
      return { type, flow_id: '' };
    case 'stop_flow':
      return { type };
    case 'handover':
      return { type, team_id: null };
  }
}

/** One line for a list: "Reply: Our prices…", "Add tags: vip". */
export function actionSummary(a: ActionIn): string {
  const cut = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);
  switch (a.type) {
    case 'reply_text':
      return `Reply: ${cut(a.text)}`;
    case 'send_template':
      return `Template ${a.template.name} (${a.template.language})`;
    case 'send_buttons':
      return `Buttons: ${cut(a.buttons.body)}`;
    case 'send_list':
      return `List: ${cut(a.list.body)}`;
    case 'add_tags':
      return `Add tags: ${a.tags.join(', ')}`;
    case 'remove_tags':
      return `Remove tags: ${a.tags.join(', ')}`;
    case 'set_field':
      return `Set ${a.key} = ${cut(a.value)}`;
    case 'assign':
      return a.assignee === null
        ? 'Unassign'
        : a.assignee === 'round_robin'
          ? 'Assign round-robin'
          : 'Assign to an agent';
    case 'set_status':
      return `Status → ${a.status}`;
    case 'start_flow':
      return 'Start a flow';
    case 'stop_flow':
      return 'Stop the running flow';
    case 'handover':
      return 'Hand over to a person';
  }
}

/** Names separated by commas, kept as typed while the person writes. */
export function ListInput({
  label,
  hint,
  value,
  onChange,
  error,
}: {
  label: string;
  hint?: string;
  value: readonly string[];
  onChange: (next: string[]) => void;
  error?: string | undefined;
}) {
  const [text, setText] = useState(value.join(', '));
  return (
    <Field label={label} hint={hint ?? 'Separated by commas'} error={error}>
      {(id) => (
        <Input
          id={id}
          value={text}
          aria-invalid={error ? true : undefined}
          onChange={(e) => {
            setText(e.target.value);
            onChange(
              e.target.value
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            );
          }}
        />
      )}
    </Field>
  );
}

export function TextField({
  label,
  value,
  onChange,
  error,
  hint,
  multiline,
  className,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  hint?: string;
  multiline?: boolean;
  className?: string;
}) {
  return (
    <div className={className}>
      <Field label={label} hint={hint} error={error}>
        {(id) =>
          multiline ? (
            <TextArea
              id={id}
              value={value}
              aria-invalid={error ? true : undefined}
              onChange={(e) => onChange(e.target.value)}
            />
          ) : (
            <Input
              id={id}
              value={value}
              aria-invalid={error ? true : undefined}
              onChange={(e) => onChange(e.target.value)}
            />
          )
        }
      </Field>
    </div>
  );
}

export function NumberField({
  label,
  value,
  onChange,
  error,
  hint,
  min,
  max,
}: {
  label: string;
  value: number | undefined;
  onChange: (v: number | undefined) => void;
  error?: string | undefined;
  hint?: string;
  min?: number;
  max?: number;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(id) => (
        <Input
          id={id}
          type="number"
          min={min}
          max={max}
          className="w-32"
          value={value ?? ''}
          aria-invalid={error ? true : undefined}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      )}
    </Field>
  );
}

/** Optional text: empty means absent. */
const opt = (s: string) => (s === '' ? undefined : s);

/** The placeholders in a template's body (`{{1}}`, `{{name}}`), in order of first use. */
function bodyPlaceholders(components: readonly Record<string, unknown>[]): string[] {
  const body = components.find((c) => c.type === 'BODY');
  const text = typeof body?.text === 'string' ? body.text : '';
  return [...new Set([...text.matchAll(/\{\{\s*([^{}\s]+)\s*\}\}/g)].map((m) => m[1] ?? ''))];
}

/** An approved template by name and language, and a value (placeholders allowed) per body parameter. */
export function TemplateEditor({
  value,
  onChange,
  at,
}: {
  value: TemplateIn;
  onChange: (v: TemplateIn) => void;
  at: At;
}) {
  const templates = useQuery({
    queryKey: templateKeys.list({ usable: true }),
    queryFn: () => api.templates.list({ usable: true }),
  });
  const all = templates.data?.data ?? [];
  const chosen = all.find((t) => t.name === value.name && t.language === value.language);
  const names = chosen ? bodyPlaceholders(chosen.components) : [];
  const params = value.body_params ?? [];
  const count = Math.max(names.length, params.length);
  const key = value.name ? `${value.name}|${value.language}` : '';
  return (
    <div className="space-y-3">
      <Field label="Template" error={err(at, 'name') ?? err(at, 'language')}>
        {(id) => (
          <Select
            id={id}
            value={key}
            onChange={(e) => {
              const [name = '', language = ''] = e.target.value.split('|');
              const t = all.find((x) => x.name === name && x.language === language);
              onChange({
                name,
                language,
                body_params: t ? bodyPlaceholders(t.components).map(() => '') : [],
              });
            }}
          >
            <option value="">{templates.isPending ? 'Loading templates…' : 'Choose a template'}</option>
            {key && !chosen && <option value={key}>{`${value.name} (${value.language})`}</option>}
            {all.map((t) => (
              <option key={t.id} value={`${t.name}|${t.language}`}>
                {`${t.name} (${t.language})`}
              </option>
            ))}
          </Select>
        )}
      </Field>
      {templates.isSuccess && all.length === 0 && (
        <p className="text-xs text-amber-700">No approved template yet: sync them under Templates.</p>
      )}
      {Array.from({ length: count }, (_, i) => (
        <TextField
          // biome-ignore lint/suspicious/noArrayIndexKey: parameters are positional
          key={i}
          label={`Body parameter ${names[i] ?? i + 1}`}
          hint="Placeholders allowed: {{contact.name}}, {{contact.field.<key>}}, {{vars.<name>}}"
          value={params[i] ?? ''}
          error={err(at, `body_params.${i}`)}
          onChange={(v) => {
            const next = Array.from({ length: count }, (_, j) => params[j] ?? '');
            next[i] = v;
            onChange({ ...value, body_params: next });
          }}
        />
      ))}
    </div>
  );
}

function HeaderFooter({
  value,
  onChange,
  at,
}: {
  value: { header?: string | undefined; footer?: string | undefined };
  onChange: (v: { header?: string | undefined; footer?: string | undefined }) => void;
  at: At;
}) {
  return (
    <div className="grid gap-3 sm:grid-cols-2">
      <TextField
        label="Header (optional)"
        value={value.header ?? ''}
        error={err(at, 'header')}
        onChange={(v) => onChange({ ...value, header: opt(v) })}
      />
      <TextField
        label="Footer (optional)"
        value={value.footer ?? ''}
        error={err(at, 'footer')}
        onChange={(v) => onChange({ ...value, footer: opt(v) })}
      />
    </div>
  );
}

/** Up to three reply buttons, each with the id a reply carries and its title. */
export function ButtonsEditor({
  value,
  onChange,
  at,
}: {
  value: ButtonsIn;
  onChange: (v: ButtonsIn) => void;
  at: At;
}) {
  const set = (i: number, b: { id: string; title: string }) =>
    onChange({ ...value, buttons: value.buttons.map((x, j) => (j === i ? b : x)) });
  return (
    <div className="space-y-3">
      <TextField
        label="Message"
        multiline
        value={value.body}
        error={err(at, 'body')}
        onChange={(body) => onChange({ ...value, body })}
      />
      <HeaderFooter value={value} onChange={(hf) => onChange({ ...value, ...hf })} at={at} />
      {err(at, 'buttons') && !value.buttons.some((_, i) => err(at, `buttons.${i}`)) && (
        <p className="text-xs text-red-700" role="alert">
          {err(at, 'buttons')}
        </p>
      )}
      {value.buttons.map((b, i) => (
        <fieldset
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
          key={i}
          className="flex flex-wrap items-end gap-2 rounded-md border border-slate-200 p-2"
        >
          <legend className="px-1 text-xs font-medium text-slate-600">Button {i + 1}</legend>
          <TextField
            label="Title"
            value={b.title}
            error={err(at, `buttons.${i}.title`)}
            onChange={(title) => set(i, { ...b, title })}
          />
          <TextField
            label="Reply id"
            value={b.id}
            error={err(at, `buttons.${i}.id`)}
            onChange={(id) => set(i, { ...b, id })}
          />
          <Button
            variant="ghost"
            aria-label={`Remove button ${i + 1}`}
            disabledReason={value.buttons.length === 1 && 'At least one button'}
            onClick={() => onChange({ ...value, buttons: value.buttons.filter((_, j) => j !== i) })}
          >
            Remove
          </Button>
        </fieldset>
      ))}
      <Button
        variant="secondary"
        disabledReason={value.buttons.length >= 3 && 'WhatsApp allows three buttons'}
        onClick={() =>
          onChange({
            ...value,
            buttons: [...value.buttons, { id: `b${value.buttons.length + 1}`, title: '' }],
          })
        }
      >
        Add button
      </Button>
    </div>
  );
}

/** A list message: the button that opens it and up to ten rows. */
export function ListEditor({
  value,
  onChange,
  at,
}: {
  value: ListIn;
  onChange: (v: ListIn) => void;
  at: At;
}) {
  type Row = ListIn['rows'][number];
  const set = (i: number, r: Row) =>
    onChange({ ...value, rows: value.rows.map((x, j) => (j === i ? r : x)) });
  return (
    <div className="space-y-3">
      <TextField
        label="Message"
        multiline
        value={value.body}
        error={err(at, 'body')}
        onChange={(body) => onChange({ ...value, body })}
      />
      <TextField
        label="List button label"
        value={value.button}
        error={err(at, 'button')}
        onChange={(button) => onChange({ ...value, button })}
      />
      <HeaderFooter value={value} onChange={(hf) => onChange({ ...value, ...hf })} at={at} />
      {err(at, 'rows') && !value.rows.some((_, i) => err(at, `rows.${i}`)) && (
        <p className="text-xs text-red-700" role="alert">
          {err(at, 'rows')}
        </p>
      )}
      {value.rows.map((r, i) => (
        <fieldset
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
          key={i}
          className="flex flex-wrap items-end gap-2 rounded-md border border-slate-200 p-2"
        >
          <legend className="px-1 text-xs font-medium text-slate-600">Row {i + 1}</legend>
          <TextField
            label="Title"
            value={r.title}
            error={err(at, `rows.${i}.title`)}
            onChange={(title) => set(i, { ...r, title })}
          />
          <TextField
            label="Reply id"
            value={r.id}
            error={err(at, `rows.${i}.id`)}
            onChange={(id) => set(i, { ...r, id })}
          />
          <TextField
            label="Description (optional)"
            value={r.description ?? ''}
            error={err(at, `rows.${i}.description`)}
            onChange={(d) => set(i, { ...r, description: opt(d) })}
          />
          <Button
            variant="ghost"
            aria-label={`Remove row ${i + 1}`}
            disabledReason={value.rows.length === 1 && 'At least one row'}
            onClick={() => onChange({ ...value, rows: value.rows.filter((_, j) => j !== i) })}
          >
            Remove
          </Button>
        </fieldset>
      ))}
      <Button
        variant="secondary"
        disabledReason={value.rows.length >= 10 && 'WhatsApp allows ten rows'}
        onClick={() =>
          onChange({ ...value, rows: [...value.rows, { id: `r${value.rows.length + 1}`, title: '' }] })
        }
      >
        Add row
      </Button>
    </div>
  );
}

/** A team, or none. */
export function TeamSelect({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string | null | undefined;
  onChange: (v: string | null) => void;
  error?: string | undefined;
}) {
  const teams = useTeams();
  return (
    <Field label={label} error={error}>
      {(id) => (
        <Select id={id} value={value ?? ''} onChange={(e) => onChange(e.target.value || null)}>
          <option value="">No team</option>
          {(teams.data?.data ?? []).map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

/** Who gets the conversation: an agent, the next one round-robin (of a team), or nobody. */
export function AssigneeEditor({
  value,
  onChange,
  at,
}: {
  value: { assignee: string | null; team_id?: string | null | undefined };
  onChange: (v: { assignee: string | null; team_id: string | null }) => void;
  at: At;
}) {
  const members = useMembers();
  const team = value.team_id ?? null;
  return (
    <div className="grid gap-3 sm:grid-cols-2">
      <Field label="Assign to" error={err(at, 'assignee')}>
        {(id) => (
          <Select
            id={id}
            value={value.assignee === null ? '__none' : value.assignee}
            onChange={(e) =>
              onChange({ assignee: e.target.value === '__none' ? null : e.target.value, team_id: team })
            }
          >
            <option value="round_robin">Round-robin (next online agent)</option>
            <option value="__none">Nobody (unassign)</option>
            {(members.data?.data ?? [])
              .filter((m) => m.role !== 'viewer')
              .map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.name || m.email}
                </option>
              ))}
          </Select>
        )}
      </Field>
      <TeamSelect
        label="Team"
        value={team}
        error={err(at, 'team_id')}
        onChange={(t) => onChange({ assignee: value.assignee, team_id: t })}
      />
    </div>
  );
}

export function FlowSelect({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
}) {
  const flows = useFlows();
  return (
    <Field label="Flow" error={error}>
      {(id) => (
        <Select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose a flow</option>
          {(flows.data?.data ?? []).map((f) => (
            <option key={f.id} value={f.id}>
              {f.published_version === null ? `${f.name} (not published)` : f.name}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

/** The form of one action, by its type. */
export function ActionFields({
  action,
  onChange,
  at,
}: {
  action: ActionIn;
  onChange: (a: ActionIn) => void;
  at: At;
}): ReactNode {
  const a = action;
  switch (a.type) {
    case 'reply_text':
      return (
        <TextField
          label="Text"
          multiline
          hint="Placeholders: {{contact.name}}, {{contact.phone}}, {{contact.field.<key>}}"
          value={a.text}
          error={err(at, 'text')}
          onChange={(text) => onChange({ ...a, text })}
        />
      );
    case 'send_template':
      return (
        <TemplateEditor
          value={a.template}
          at={sub(at, 'template')}
          onChange={(template) => onChange({ ...a, template })}
        />
      );
    case 'send_buttons':
      return (
        <ButtonsEditor
          value={a.buttons}
          at={sub(at, 'buttons')}
          onChange={(buttons) => onChange({ ...a, buttons })}
        />
      );
    case 'send_list':
      return <ListEditor value={a.list} at={sub(at, 'list')} onChange={(list) => onChange({ ...a, list })} />;
    case 'add_tags':
    case 'remove_tags':
      return (
        <ListInput
          label="Tags"
          hint="Tag names, separated by commas; missing ones are created"
          value={a.tags}
          error={err(at, 'tags')}
          onChange={(tags) => onChange({ ...a, tags })}
        />
      );
    case 'set_field':
      return (
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField
            label="Field key"
            hint="A contact field key, e.g. city"
            value={a.key}
            error={err(at, 'key')}
            onChange={(key) => onChange({ ...a, key })}
          />
          <TextField
            label="Value"
            value={a.value}
            error={err(at, 'value')}
            onChange={(value) => onChange({ ...a, value })}
          />
        </div>
      );
    case 'assign':
      return <AssigneeEditor value={a} at={at} onChange={(v) => onChange({ ...a, ...v })} />;
    case 'set_status':
      return (
        <Field label="Status" error={err(at, 'status')}>
          {(id) => (
            <Select
              id={id}
              value={a.status}
              onChange={(e) => onChange({ ...a, status: e.target.value as typeof a.status })}
            >
              <option value="open">Open</option>
              <option value="pending">Pending</option>
              <option value="resolved">Resolved</option>
            </Select>
          )}
        </Field>
      );
    case 'start_flow':
      return (
        <FlowSelect
          value={a.flow_id}
          error={err(at, 'flow_id')}
          onChange={(flow_id) => onChange({ ...a, flow_id })}
        />
      );
    case 'stop_flow':
      return <p className="text-sm text-slate-600">Ends the contact’s running flow; nothing else.</p>;
    case 'handover':
      return (
        <div className="space-y-2">
          <p className="text-sm text-slate-600">
            Ends the running flow, reopens the conversation and assigns it round-robin.
          </p>
          <TeamSelect
            label="Team"
            value={a.team_id}
            error={err(at, 'team_id')}
            onChange={(team_id) => onChange({ ...a, team_id })}
          />
        </div>
      );
  }
}

/** The ordered actions of a rule: add by type, edit, move, remove. */
export function ActionsEditor({
  actions,
  onChange,
  at,
}: {
  actions: ActionIn[];
  onChange: (next: ActionIn[]) => void;
  at: At;
}) {
  const [adding, setAdding] = useState<ActionType>('reply_text');
  const move = (i: number, d: -1 | 1) => {
    const next = [...actions];
    const [it] = next.splice(i, 1);
    if (it) next.splice(i + d, 0, it);
    onChange(next);
  };
  return (
    <div className="space-y-3">
      {actions.map((a, i) => (
        <fieldset
          // biome-ignore lint/suspicious/noArrayIndexKey: actions are positional
          key={i}
          className="space-y-3 rounded-md border border-slate-200 p-3"
        >
          <legend className="px-1 text-sm font-medium text-slate-700">
            {`Action ${i + 1}: ${ACTION_LABELS[a.type]}`}
          </legend>
          <ActionFields
            action={a}
            at={sub(at, i)}
            onChange={(next) => onChange(actions.map((x, j) => (j === i ? next : x)))}
          />
          <div className="flex gap-1">
            <Button
              variant="ghost"
              aria-label={`Move action ${i + 1} up`}
              disabledReason={i === 0 && 'Already first'}
              onClick={() => move(i, -1)}
            >
              ↑
            </Button>
            <Button
              variant="ghost"
              aria-label={`Move action ${i + 1} down`}
              disabledReason={i === actions.length - 1 && 'Already last'}
              onClick={() => move(i, 1)}
            >
              ↓
            </Button>
            <Button
              variant="ghost"
              aria-label={`Remove action ${i + 1}`}
              onClick={() => onChange(actions.filter((_, j) => j !== i))}
            >
              Remove
            </Button>
          </div>
        </fieldset>
      ))}
      {at.problems[at.path] && (
        <p className="text-xs text-red-700" role="alert">
          {at.problems[at.path]}
        </p>
      )}
      <div className="flex flex-wrap items-end gap-2">
        <Field label="New action">
          {(id) => (
            <Select id={id} value={adding} onChange={(e) => setAdding(e.target.value as ActionType)}>
              {(Object.keys(ACTION_LABELS) as ActionType[]).map((t) => (
                <option key={t} value={t}>
                  {ACTION_LABELS[t]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button
          variant="secondary"
          disabledReason={actions.length >= 10 && 'At most ten actions'}
          onClick={() => onChange([...actions, blankAction(adding)])}
        >
          Add action
        </Button>
      </div>
    </div>
  );
}
