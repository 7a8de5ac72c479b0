import {
  ASK_VALIDATIONS,
  type CONDITION_OPS,
  CONDITION_SUBJECTS,
  type FlowNodeType,
  MATCH_KINDS,
  TRIGGER_KINDS,
} from '@openwaba/contracts';
import type { Edge } from '@xyflow/react';
import type { ReactNode } from 'react';
import { Button, Field, Select } from '../../components/ui.tsx';
import { useCampaigns } from '../campaigns/queries.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import {
  AssigneeEditor,
  type At,
  ButtonsEditor,
  err,
  ListEditor,
  ListInput,
  NumberField,
  sub,
  TeamSelect,
  TemplateEditor,
  type TemplateIn,
  TextField,
} from './action-forms.tsx';
import { type CanvasNode, handleLabel, handlesOf, NODE_LABELS } from './flow-model.ts';
import { TRIGGER_LABELS } from './flows-page.tsx';
import { MATCH_LABELS } from './match-labels.ts';

type D = Record<string, unknown>;
// The inspector edits loosely typed data: the server's schema (and Validate) has the last word.
// biome-ignore lint/suspicious/noExplicitAny: node data is checked by the server, not here
type Any = any;

const VALIDATION_LABELS: Record<(typeof ASK_VALIDATIONS)[number], string> = {
  text: 'Any text',
  number: 'A number',
  email: 'An email address',
  date: 'A date',
  choice: 'One of the choices',
};
const SUBJECT_LABELS: Record<(typeof CONDITION_SUBJECTS)[number], string> = {
  text: 'Last reply’s text',
  reply_id: 'Last reply’s button/list id',
  field: 'Contact field',
  var: 'Flow variable',
  tag: 'Contact tag',
  hours: 'Business hours',
};
const OP_LABELS: Record<(typeof CONDITION_OPS)[number], string> = {
  equals: 'equals',
  contains: 'contains',
  starts_with: 'starts with',
  regex: 'matches regex',
  is_set: 'is set',
  is_not_set: 'is not set',
  has: 'has',
  has_not: 'has not',
  open: 'open',
  closed: 'closed',
};
/** The operators that make sense for a subject. */
const OPS_FOR: Record<(typeof CONDITION_SUBJECTS)[number], (typeof CONDITION_OPS)[number][]> = {
  text: ['equals', 'contains', 'starts_with', 'regex'],
  reply_id: ['equals', 'contains', 'starts_with', 'regex'],
  field: ['equals', 'contains', 'starts_with', 'regex', 'is_set', 'is_not_set'],
  var: ['equals', 'contains', 'starts_with', 'regex', 'is_set', 'is_not_set'],
  tag: ['has', 'has_not'],
  hours: ['open', 'closed'],
};
const opt = (s: string) => (s === '' ? undefined : s);

function EnumSelect<V extends string>({
  label,
  value,
  options,
  labels,
  onChange,
  error,
}: {
  label: string;
  value: V;
  options: readonly V[];
  labels: Record<V, string>;
  onChange: (v: V) => void;
  error?: string | undefined;
}) {
  return (
    <Field label={label} error={error}>
      {(id) => (
        <Select id={id} value={value} onChange={(e) => onChange(e.target.value as V)}>
          {options.map((o) => (
            <option key={o} value={o}>
              {labels[o]}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

function NumbersScope({
  value,
  onChange,
  error,
}: {
  value: string[] | null;
  onChange: (v: string[] | null) => void;
  error?: string | undefined;
}) {
  const numbers = useNumbers();
  return (
    <fieldset className="space-y-1">
      <legend className="text-sm font-medium text-slate-700">Numbers</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={value === null}
          onChange={(e) => onChange(e.target.checked ? null : [])}
        />
        All numbers
      </label>
      {value !== null &&
        (numbers.data?.data ?? []).map((n) => (
          <label key={n.id} className="ml-4 flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={value.includes(n.id)}
              onChange={(e) =>
                onChange(e.target.checked ? [...value, n.id] : value.filter((x) => x !== n.id))
              }
            />
            {n.display_name}
          </label>
        ))}
      {error && (
        <p className="text-xs text-red-700" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

function TriggerForm({ d, set, at }: { d: Any; set: (d: D) => void; at: At }) {
  const campaigns = useCampaigns();
  return (
    <>
      <EnumSelect
        label="Starts on"
        value={d.kind}
        options={TRIGGER_KINDS}
        labels={TRIGGER_LABELS}
        error={err(at, 'kind')}
        onChange={(kind) => {
          const next: Any = { kind, number_ids: d.number_ids ?? null };
          if (kind === 'keyword') next.match = d.match ?? { kind: 'equals', patterns: [] };
          if (kind === 'button_reply') next.reply_id = d.reply_id ?? '';
          if (kind === 'campaign_reply') next.campaign_id = d.campaign_id ?? null;
          set(next);
        }}
      />
      {d.kind === 'keyword' && (
        <>
          <EnumSelect
            label="Match"
            value={d.match?.kind ?? 'equals'}
            options={MATCH_KINDS}
            labels={MATCH_LABELS}
            onChange={(kind) => set({ ...d, match: { ...(d.match ?? { patterns: [] }), kind } })}
          />
          <ListInput
            label="Keywords"
            value={d.match?.patterns ?? []}
            error={err(at, 'match')}
            onChange={(patterns) => set({ ...d, match: { ...(d.match ?? { kind: 'equals' }), patterns } })}
          />
        </>
      )}
      {d.kind === 'button_reply' && (
        <TextField
          label="Reply id"
          hint="The button or list row id that starts the flow"
          value={d.reply_id ?? ''}
          error={err(at, 'reply_id')}
          onChange={(reply_id) => set({ ...d, reply_id: opt(reply_id) })}
        />
      )}
      {d.kind === 'campaign_reply' && (
        <Field label="Campaign" error={err(at, 'campaign_id')}>
          {(id) => (
            <Select
              id={id}
              value={d.campaign_id ?? ''}
              onChange={(e) => set({ ...d, campaign_id: e.target.value || null })}
            >
              <option value="">Any campaign</option>
              {(campaigns.data?.data ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
      )}
      <NumbersScope
        value={d.number_ids ?? null}
        error={err(at, 'number_ids')}
        onChange={(number_ids) => set({ ...d, number_ids })}
      />
    </>
  );
}

function AskForm({ d, set, at }: { d: Any; set: (d: D) => void; at: At }) {
  return (
    <>
      <TextField
        label="Question"
        multiline
        value={d.question ?? ''}
        error={err(at, 'question')}
        onChange={(question) => set({ ...d, question })}
      />
      <div className="grid grid-cols-2 gap-2">
        <EnumSelect
          label="Save the answer to"
          value={d.save_to?.kind ?? 'var'}
          options={['field', 'var'] as const}
          labels={{ field: 'Contact field', var: 'Flow variable' }}
          onChange={(kind) => set({ ...d, save_to: { ...(d.save_to ?? { key: '' }), kind } })}
        />
        <TextField
          label={d.save_to?.kind === 'field' ? 'Field key' : 'Variable name'}
          value={d.save_to?.key ?? ''}
          error={err(at, 'save_to')}
          onChange={(key) => set({ ...d, save_to: { ...(d.save_to ?? { kind: 'var' }), key } })}
        />
      </div>
      <EnumSelect
        label="Validation"
        value={d.validation ?? 'text'}
        options={ASK_VALIDATIONS}
        labels={VALIDATION_LABELS}
        error={err(at, 'validation')}
        onChange={(validation) =>
          set({
            ...d,
            validation,
            ...(validation === 'choice' ? { choices: d.choices ?? [] } : { choices: undefined }),
          })
        }
      />
      {d.validation === 'choice' && (
        <ListInput
          label="Choices"
          hint="The accepted answers, separated by commas (case and accents ignored)"
          value={d.choices ?? []}
          error={err(at, 'choices')}
          onChange={(choices) => set({ ...d, choices })}
        />
      )}
      <TextField
        label="Retry message (optional)"
        value={d.retry_message ?? ''}
        error={err(at, 'retry_message')}
        onChange={(v) => set({ ...d, retry_message: opt(v) })}
      />
      <div className="grid grid-cols-2 gap-2">
        <NumberField
          label="Retries"
          min={0}
          max={5}
          value={d.max_retries}
          error={err(at, 'max_retries')}
          onChange={(max_retries) => set({ ...d, max_retries })}
        />
        <NumberField
          label="Timeout (minutes)"
          min={1}
          max={43200}
          value={d.timeout_minutes}
          error={err(at, 'timeout_minutes')}
          onChange={(timeout_minutes) => set({ ...d, timeout_minutes })}
        />
      </div>
    </>
  );
}

function ConditionForm({ d, set, at }: { d: Any; set: (d: D) => void; at: At }) {
  const branches: Any[] = d.branches ?? [];
  const setBranch = (i: number, b: Any) => set({ ...d, branches: branches.map((x, j) => (j === i ? b : x)) });
  return (
    <>
      <p className="text-xs text-slate-500">The first branch whose test holds is taken; otherwise “else”.</p>
      {branches.map((b, i) => {
        const bat = sub(sub(at, 'branches'), i);
        const subject = b.when?.subject ?? 'text';
        const op = b.when?.op ?? 'contains';
        const needsKey = subject === 'field' || subject === 'var' || subject === 'tag';
        const needsValue = !['is_set', 'is_not_set', 'open', 'closed'].includes(op) && subject !== 'tag';
        return (
          <fieldset
            // biome-ignore lint/suspicious/noArrayIndexKey: branches are edited in place
            key={i}
            className="space-y-2 rounded-md border border-slate-200 p-2"
          >
            <legend className="px-1 text-xs font-medium text-slate-600">Branch {i + 1}</legend>
            <div className="grid grid-cols-2 gap-2">
              <TextField
                label="Handle id"
                value={b.id}
                error={err(bat, 'id')}
                onChange={(id) => setBranch(i, { ...b, id })}
              />
              <TextField
                label="Label"
                value={b.label ?? ''}
                error={err(bat, 'label')}
                onChange={(label) => setBranch(i, { ...b, label })}
              />
            </div>
            <EnumSelect
              label="Test"
              value={subject}
              options={CONDITION_SUBJECTS}
              labels={SUBJECT_LABELS}
              onChange={(s) => {
                const ops = OPS_FOR[s];
                setBranch(i, { ...b, when: { subject: s, op: ops.includes(op) ? op : ops[0] } });
              }}
            />
            {needsKey && (
              <TextField
                label={subject === 'tag' ? 'Tag name' : subject === 'field' ? 'Field key' : 'Variable name'}
                value={b.when?.key ?? ''}
                error={err(bat, 'when.key')}
                onChange={(key) => setBranch(i, { ...b, when: { ...b.when, key: opt(key) } })}
              />
            )}
            <EnumSelect
              label="Operator"
              value={op}
              options={OPS_FOR[subject as keyof typeof OPS_FOR]}
              labels={OP_LABELS}
              onChange={(o) => setBranch(i, { ...b, when: { ...b.when, op: o } })}
            />
            {needsValue && (
              <TextField
                label="Value"
                value={b.when?.value ?? ''}
                error={err(bat, 'when.value') ?? err(bat, 'when')}
                onChange={(value) => setBranch(i, { ...b, when: { ...b.when, value } })}
              />
            )}
            <Button
              variant="ghost"
              aria-label={`Remove branch ${i + 1}`}
              disabledReason={branches.length === 1 && 'At least one branch'}
              onClick={() => set({ ...d, branches: branches.filter((_, j) => j !== i) })}
            >
              Remove branch
            </Button>
          </fieldset>
        );
      })}
      {at.problems[`${at.path}.branches`] && (
        <p className="text-xs text-red-700" role="alert">
          {at.problems[`${at.path}.branches`]}
        </p>
      )}
      <Button
        variant="secondary"
        disabledReason={branches.length >= 10 && 'At most ten branches'}
        onClick={() => {
          const ids = new Set(branches.map((b) => b.id));
          let n = branches.length + 1;
          while (ids.has(`b${n}`)) n++;
          set({
            ...d,
            branches: [
              ...branches,
              { id: `b${n}`, label: '', when: { subject: 'text', op: 'contains', value: '' } },
            ],
          });
        }}
      >
        Add branch
      </Button>
    </>
  );
}

function HttpForm({ d, set, at }: { d: Any; set: (d: D) => void; at: At }) {
  const headers: { name: string; value: string }[] = d.headers ?? [];
  const save: { var: string; path: string }[] = d.save ?? [];
  return (
    <>
      <EnumSelect
        label="Method"
        value={d.method ?? 'GET'}
        options={['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const}
        labels={{ GET: 'GET', POST: 'POST', PUT: 'PUT', PATCH: 'PATCH', DELETE: 'DELETE' }}
        onChange={(method) => set({ ...d, method })}
      />
      <TextField
        label="URL"
        hint="http(s); placeholders allowed; private addresses are refused"
        value={d.url ?? ''}
        error={err(at, 'url')}
        onChange={(url) => set({ ...d, url })}
      />
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium text-slate-700">Headers</legend>
        {headers.map((h, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: headers are edited in place
          <div key={i} className="flex items-end gap-1">
            <TextField
              label={`Header ${i + 1} name`}
              value={h.name}
              error={err(at, `headers.${i}.name`)}
              onChange={(name) =>
                set({ ...d, headers: headers.map((x, j) => (j === i ? { ...x, name } : x)) })
              }
            />
            <TextField
              label={`Header ${i + 1} value`}
              value={h.value}
              onChange={(value) =>
                set({ ...d, headers: headers.map((x, j) => (j === i ? { ...x, value } : x)) })
              }
            />
            <Button
              variant="ghost"
              aria-label={`Remove header ${i + 1}`}
              onClick={() => set({ ...d, headers: headers.filter((_, j) => j !== i) })}
            >
              ×
            </Button>
          </div>
        ))}
        <Button variant="ghost" onClick={() => set({ ...d, headers: [...headers, { name: '', value: '' }] })}>
          Add header
        </Button>
      </fieldset>
      {d.method !== 'GET' && (
        <TextField
          label="Body (optional)"
          multiline
          value={d.body ?? ''}
          error={err(at, 'body')}
          onChange={(body) => set({ ...d, body: opt(body) })}
        />
      )}
      <NumberField
        label="Timeout (ms)"
        min={500}
        max={15000}
        value={d.timeout_ms}
        error={err(at, 'timeout_ms')}
        onChange={(timeout_ms) => set({ ...d, timeout_ms })}
      />
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium text-slate-700">Keep from the response</legend>
        {save.map((s, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
          <div key={i} className="flex items-end gap-1">
            <TextField
              label={`Variable ${i + 1}`}
              value={s.var}
              error={err(at, `save.${i}.var`)}
              onChange={(v) => set({ ...d, save: save.map((x, j) => (j === i ? { ...x, var: v } : x)) })}
            />
            <TextField
              label={`JSON path ${i + 1}`}
              hint="e.g. order.status"
              value={s.path}
              error={err(at, `save.${i}.path`)}
              onChange={(path) => set({ ...d, save: save.map((x, j) => (j === i ? { ...x, path } : x)) })}
            />
            <Button
              variant="ghost"
              aria-label={`Remove variable ${i + 1}`}
              onClick={() => set({ ...d, save: save.filter((_, j) => j !== i) })}
            >
              ×
            </Button>
          </div>
        ))}
        <Button variant="ghost" onClick={() => set({ ...d, save: [...save, { var: '', path: '' }] })}>
          Add variable
        </Button>
      </fieldset>
    </>
  );
}

function NodeForm({
  type,
  d,
  set,
  at,
}: {
  type: FlowNodeType;
  d: Any;
  set: (d: D) => void;
  at: At;
}): ReactNode {
  switch (type) {
    case 'trigger':
      return <TriggerForm d={d} set={set} at={at} />;
    case 'send_text':
      return (
        <TextField
          label="Text"
          multiline
          hint="Placeholders: {{contact.name}}, {{contact.field.<key>}}, {{vars.<name>}}"
          value={d.text ?? ''}
          error={err(at, 'text')}
          onChange={(text) => set({ ...d, text })}
        />
      );
    case 'send_template':
      return (
        <TemplateEditor
          value={d.template as TemplateIn}
          at={sub(at, 'template')}
          onChange={(template) => set({ ...d, template })}
        />
      );
    case 'send_buttons':
      return (
        <ButtonsEditor
          value={d.buttons}
          at={sub(at, 'buttons')}
          onChange={(buttons) => set({ ...d, buttons })}
        />
      );
    case 'send_list':
      return <ListEditor value={d.list} at={sub(at, 'list')} onChange={(list) => set({ ...d, list })} />;
    case 'ask':
      return <AskForm d={d} set={set} at={at} />;
    case 'wait_reply':
      return (
        <>
          <NumberField
            label="Timeout (minutes)"
            min={1}
            max={43200}
            value={d.timeout_minutes}
            error={err(at, 'timeout_minutes')}
            onChange={(timeout_minutes) => set({ ...d, timeout_minutes })}
          />
          <TextField
            label="Keep the reply in variable (optional)"
            value={d.save_as ?? ''}
            error={err(at, 'save_as')}
            onChange={(v) => set({ ...d, save_as: opt(v) })}
          />
        </>
      );
    case 'delay':
      return (
        <NumberField
          label="Wait (seconds)"
          min={1}
          max={30 * 86400}
          value={d.seconds}
          error={err(at, 'seconds')}
          onChange={(seconds) => set({ ...d, seconds })}
        />
      );
    case 'condition':
      return <ConditionForm d={d} set={set} at={at} />;
    case 'set_tags':
      return (
        <>
          <ListInput
            label="Add tags"
            value={d.add ?? []}
            error={err(at, 'add')}
            onChange={(add) => set({ ...d, add })}
          />
          <ListInput
            label="Remove tags"
            value={d.remove ?? []}
            error={err(at, 'remove')}
            onChange={(remove) => set({ ...d, remove })}
          />
        </>
      );
    case 'set_field':
      return (
        <>
          <TextField
            label="Field key"
            value={d.key ?? ''}
            error={err(at, 'key')}
            onChange={(key) => set({ ...d, key })}
          />
          <TextField
            label="Value"
            value={d.value ?? ''}
            error={err(at, 'value')}
            onChange={(value) => set({ ...d, value })}
          />
        </>
      );
    case 'assign':
      return <AssigneeEditor value={d} at={at} onChange={(v) => set({ ...d, ...v })} />;
    case 'handover':
      return (
        <>
          <TeamSelect
            label="Team"
            value={d.team_id}
            error={err(at, 'team_id')}
            onChange={(team_id) => set({ ...d, team_id })}
          />
          <TextField
            label="Message to the customer (optional)"
            value={d.message ?? ''}
            error={err(at, 'message')}
            onChange={(v) => set({ ...d, message: opt(v) })}
          />
        </>
      );
    case 'http':
      return <HttpForm d={d} set={set} at={at} />;
    case 'end':
      return <p className="text-sm text-slate-600">The run ends here.</p>;
  }
}

/** The side panel: the selected node's settings, where each of its handles leads, and delete. */
export function Inspector({
  node,
  nodes,
  edges,
  at,
  onData,
  onConnect,
  onDelete,
}: {
  node: CanvasNode;
  nodes: readonly CanvasNode[];
  edges: readonly Edge[];
  at: At;
  onData: (data: D) => void;
  onConnect: (handle: string, target: string | null) => void;
  onDelete: () => void;
}) {
  const t = node.type as FlowNodeType;
  const handles = handlesOf(t, node.data);
  return (
    <section aria-label="Inspector" className="space-y-3">
      <h3 className="text-sm font-semibold text-slate-900">
        {NODE_LABELS[t]} <span className="font-mono text-xs font-normal text-slate-500">{node.id}</span>
      </h3>
      <div className="space-y-3" key={node.id}>
        <NodeForm type={t} d={node.data} set={onData} at={sub(at, 'data')} />
      </div>
      {handles.length > 0 && (
        <fieldset className="space-y-2 border-t border-slate-100 pt-3">
          <legend className="text-sm font-medium text-slate-700">Connections</legend>
          {handles.map((h) => {
            const edge = edges.find((e) => e.source === node.id && (e.sourceHandle ?? 'next') === h);
            return (
              <Field key={h} label={`Then (${handleLabel(t, node.data, h)})`}>
                {(id) => (
                  <Select
                    id={id}
                    value={edge?.target ?? ''}
                    onChange={(e) => onConnect(h, e.target.value || null)}
                  >
                    <option value="">Nothing (the run ends)</option>
                    {nodes
                      .filter((n) => n.id !== node.id && n.type !== 'trigger')
                      .map((n) => (
                        <option key={n.id} value={n.id}>
                          {`${n.id} (${NODE_LABELS[n.type as FlowNodeType]})`}
                        </option>
                      ))}
                  </Select>
                )}
              </Field>
            );
          })}
        </fieldset>
      )}
      <Button variant="danger" onClick={onDelete}>
        Delete node
      </Button>
    </section>
  );
}
