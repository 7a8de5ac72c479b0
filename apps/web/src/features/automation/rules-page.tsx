import {
  type ChainTestResult,
  HOURS_CONDITIONS,
  MATCH_KINDS,
  type Rule,
  RuleBody,
  type TextMatch,
} from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { z } from 'zod';
import { api, errorMessage } from '../../api.ts';
import { RelativeTime } from '../../components/relative-time.tsx';
import { Alert, Badge, Button, Card, ConfirmPanel, Field, Input, Select } from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { ActionsEditor, actionSummary, ListInput, NumberField, sub, TextField } from './action-forms.tsx';
import { automationKeys } from './keys.ts';
import { MATCH_LABELS, matchSummary } from './match-labels.ts';
import { issuesOf, type Problems, problemAt, problemsOf } from './problems.ts';
import { useAutomationRights, useRules } from './queries.ts';

type RuleIn = z.input<typeof RuleBody>;

const HOURS_LABELS: Record<(typeof HOURS_CONDITIONS)[number], string> = {
  always: 'Always',
  open: 'Only while open',
  closed: 'Only while closed',
};

const bodyOf = (r: Rule): RuleIn => ({
  name: r.name,
  enabled: r.enabled,
  priority: r.priority,
  match: r.match,
  number_ids: r.number_ids,
  cooldown_minutes: r.cooldown_minutes,
  hours: r.hours,
  actions: r.actions,
  continue: r.continue,
});

const BLANK: RuleIn = {
  name: '',
  enabled: true,
  priority: 100,
  match: { kind: 'contains', patterns: [] },
  number_ids: null,
  cooldown_minutes: 0,
  hours: 'always',
  actions: [{ type: 'reply_text', text: '' }],
  continue: false,
};

/** Automation → Rules: keyword rules by priority, their editor and the chain's test box. */
export function RulesPage() {
  const { canManage } = useAutomationRights();
  const list = useRules();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [doomed, setDoomed] = useState<Rule | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const rules = [...(list.data?.data ?? [])].sort((a, b) => a.priority - b.priority);
  const toggle = useMutation({
    mutationFn: (r: Rule) => api.automation.rules.update(r.id, { ...bodyOf(r), enabled: !r.enabled }),
    onSuccess: () => qc.invalidateQueries({ queryKey: automationKeys.rules }),
  });
  const remove = useMutation({
    mutationFn: (r: Rule) => api.automation.rules.remove(r.id),
    onSuccess: (_x, r) => {
      setDoomed(null);
      setNotice(`Deleted the rule “${r.name}”.`);
      void qc.invalidateQueries({ queryKey: automationKeys.rules });
    },
  });
  const open = (r: Rule | 'new') => {
    setNotice(null);
    setDoomed(null);
    setEditing(r);
  };
  return (
    <div className="max-w-5xl space-y-6">
      <Card
        title="Keyword rules"
        description="Answer a keyword at once. The first matching rule (lowest priority number first) handles a customer’s message, unless it says to continue."
      >
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
        {list.isPending && (
          <p className="text-sm text-slate-500" role="status">
            Loading rules…
          </p>
        )}
        {list.isSuccess && rules.length === 0 && (
          <p className="text-sm text-slate-500">
            No rules yet.{canManage && ' Add one for a question customers ask often.'}
          </p>
        )}
        {rules.length > 0 && (
          <ul aria-label="Rules" className="divide-y divide-slate-100">
            {rules.map((r) => (
              <li key={r.id} aria-label={r.name} className="py-3">
                <div className="flex flex-wrap items-start gap-3">
                  <span className="w-12 shrink-0 text-sm tabular-nums text-slate-500" title="Priority">
                    {r.priority}
                  </span>
                  <div className="min-w-0 flex-1 basis-64">
                    <p className="font-medium text-slate-900">
                      {r.name} {!r.enabled && <Badge tone="slate">Off</Badge>}{' '}
                      {r.continue && <Badge tone="sky">Continues</Badge>}
                    </p>
                    <p className="text-sm text-slate-700">When a message {matchSummary(r.match)}</p>
                    <p className="text-xs text-slate-500">{r.actions.map(actionSummary).join(' · ')}</p>
                    <p className="text-xs text-slate-500" data-testid="rule-stats">
                      Matched {r.matched_count.toLocaleString()} {r.matched_count === 1 ? 'time' : 'times'}
                      {r.last_matched_at && (
                        <>
                          {' '}
                          · last <RelativeTime iso={r.last_matched_at} />
                        </>
                      )}
                      {r.hours !== 'always' && ` · ${HOURS_LABELS[r.hours].toLowerCase()}`}
                      {r.cooldown_minutes > 0 && ` · cooldown ${r.cooldown_minutes} min`}
                    </p>
                  </div>
                  <label className="flex shrink-0 items-center gap-2 text-sm text-slate-700">
                    <input
                      type="checkbox"
                      role="switch"
                      aria-checked={r.enabled}
                      checked={r.enabled}
                      disabled={!canManage || toggle.isPending}
                      aria-label={`Enabled: ${r.name}`}
                      onChange={() => toggle.mutate(r)}
                    />
                    Enabled
                  </label>
                  {canManage && (
                    <span className="flex shrink-0 gap-1">
                      <Button variant="secondary" aria-label={`Edit ${r.name}`} onClick={() => open(r)}>
                        Edit
                      </Button>
                      <Button variant="ghost" aria-label={`Delete ${r.name}`} onClick={() => setDoomed(r)}>
                        Delete
                      </Button>
                    </span>
                  )}
                </div>
                {doomed?.id === r.id && (
                  <div className="mt-3">
                    <ConfirmPanel
                      id={`delete-rule-${r.id}`}
                      title={`Delete the rule “${r.name}”?`}
                      confirmLabel="Delete rule"
                      busyLabel="Deleting…"
                      busy={remove.isPending}
                      error={remove.error ? errorMessage(remove.error) : undefined}
                      onConfirm={() => remove.mutate(r)}
                      onCancel={() => setDoomed(null)}
                    >
                      Messages it would answer go on down the chain (flows, business hours).
                    </ConfirmPanel>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
        {toggle.error && <Alert>{errorMessage(toggle.error)}</Alert>}
        {notice && (
          <div className="mt-3">
            <Alert kind="success">{notice}</Alert>
          </div>
        )}
        {canManage && editing === null && (
          <div className="mt-4 border-t border-slate-100 pt-4">
            <Button onClick={() => open('new')}>New rule</Button>
          </div>
        )}
      </Card>
      {canManage && editing !== null && (
        <RuleEditor
          key={editing === 'new' ? 'new' : editing.id}
          initial={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            setNotice(saved ? `Saved the rule “${saved.name}”.` : null);
          }}
        />
      )}
      <ChainTestBox />
    </div>
  );
}

function RuleEditor({ initial, onDone }: { initial: Rule | null; onDone: (saved: Rule | null) => void }) {
  const qc = useQueryClient();
  const numbers = useNumbers();
  const [body, setBody] = useState<RuleIn>(initial ? bodyOf(initial) : BLANK);
  // Once the person tried to save, the schema is checked again as they type.
  const [tried, setTried] = useState(false);
  const save = useMutation({
    mutationFn: (b: RuleIn) =>
      initial ? api.automation.rules.update(initial.id, b) : api.automation.rules.create(b),
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: automationKeys.rules });
      onDone(saved);
    },
  });
  const checked = RuleBody.safeParse(body);
  const local: Problems = tried && !checked.success ? issuesOf(checked.error.issues) : {};
  const problems: Problems = { ...local, ...problemsOf(save.error) };
  const at = { problems, path: '' };
  const set = (patch: Partial<RuleIn>) => {
    setBody((b) => ({ ...b, ...patch }));
    if (save.error) save.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.reset();
    setTried(true);
    if (checked.success) save.mutate(body);
  };
  const title = initial ? `Edit rule ${initial.name}` : 'New rule';
  const scoped = body.number_ids !== null && body.number_ids !== undefined;
  const allProblems = Object.entries(problems);
  return (
    <Card title={title}>
      <form aria-label={title} noValidate onSubmit={submit} className="space-y-5">
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Name"
            value={body.name}
            error={problems.name}
            onChange={(name) => set({ name })}
          />
          <NumberField
            label="Priority"
            hint="0–1000; lower runs first"
            min={0}
            max={1000}
            value={body.priority}
            error={problems.priority}
            onChange={(priority) => set({ priority })}
          />
        </div>
        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-800">When a message</legend>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Match" error={problems['match.kind']}>
              {(id) => (
                <Select
                  id={id}
                  value={body.match.kind}
                  onChange={(e) =>
                    set({ match: { ...body.match, kind: e.target.value as TextMatch['kind'] } })
                  }
                >
                  {MATCH_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {MATCH_LABELS[k]}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <ListInput
              label="Keywords"
              hint={
                body.match.kind === 'regex'
                  ? 'RE2 syntax (no backreferences or lookaround); several separated by commas'
                  : 'Any of these; separated by commas; case and accents ignored'
              }
              value={body.match.patterns}
              error={problemAt(problems, 'match.patterns') ?? problems.match}
              onChange={(patterns) => set({ match: { ...body.match, patterns } })}
            />
          </div>
          <p className="text-xs text-slate-500">
            Checked against the message’s text and the id and title of a button or list reply.
          </p>
        </fieldset>
        <fieldset className="space-y-2">
          <legend className="text-sm font-semibold text-slate-800">Numbers</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="scope" checked={!scoped} onChange={() => set({ number_ids: null })} />
            All numbers
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="scope" checked={scoped} onChange={() => set({ number_ids: [] })} />
            Only these numbers
          </label>
          {scoped && (
            <ul aria-label="Numbers of the rule" className="ml-6 space-y-1">
              {(numbers.data?.data ?? []).map((n) => (
                <li key={n.id}>
                  <label className="flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      checked={body.number_ids?.includes(n.id) ?? false}
                      onChange={(e) =>
                        set({
                          number_ids: e.target.checked
                            ? [...(body.number_ids ?? []), n.id]
                            : (body.number_ids ?? []).filter((x) => x !== n.id),
                        })
                      }
                    />
                    {n.display_name}
                  </label>
                </li>
              ))}
            </ul>
          )}
          {problemAt(problems, 'number_ids') && (
            <p className="text-xs text-red-700" role="alert">
              {problemAt(problems, 'number_ids')}
            </p>
          )}
        </fieldset>
        <div className="grid gap-4 sm:grid-cols-2">
          <NumberField
            label="Cooldown (minutes)"
            hint="A contact matching again within this time is ignored; 0 = never"
            min={0}
            max={43200}
            value={body.cooldown_minutes}
            error={problems.cooldown_minutes}
            onChange={(cooldown_minutes) => set({ cooldown_minutes })}
          />
          <Field label="Business hours" error={problems.hours}>
            {(id) => (
              <Select
                id={id}
                value={body.hours}
                onChange={(e) => set({ hours: e.target.value as RuleIn['hours'] })}
              >
                {HOURS_CONDITIONS.map((h) => (
                  <option key={h} value={h}>
                    {HOURS_LABELS[h]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-800">Then</legend>
          <ActionsEditor
            actions={body.actions}
            at={sub(at, 'actions')}
            onChange={(actions) => set({ actions })}
          />
        </fieldset>
        <div className="space-y-2">
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={body.continue ?? false}
              onChange={(e) => set({ continue: e.target.checked })}
            />
            Continue down the chain after this rule (later rules, flows, business hours)
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={body.enabled ?? true}
              onChange={(e) => set({ enabled: e.target.checked })}
            />
            Enabled
          </label>
        </div>
        {save.error && <Alert>{errorMessage(save.error)}</Alert>}
        {!save.error && allProblems.length > 0 && (
          <Alert>
            <p>Please fix:</p>
            <ul className="list-disc pl-5">
              {allProblems.map(([path, message]) => (
                <li key={path}>{`${path || 'rule'}: ${message}`}</li>
              ))}
            </ul>
          </Alert>
        )}
        <div className="flex gap-2">
          <Button type="submit" disabledReason={save.isPending && 'Saving…'}>
            {save.isPending ? 'Saving…' : initial ? 'Save rule' : 'Add rule'}
          </Button>
          <Button variant="secondary" onClick={() => onDone(null)}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}

const STEP_LABELS: Record<ChainTestResult['handled_by'], string> = {
  consent: 'STOP / START',
  waiting_run: 'A flow waiting for a reply',
  rule: 'Keyword rule',
  flow_trigger: 'Flow trigger',
  hours: 'Business hours',
  ai: 'AI reply (auto mode)',
  nothing: 'Nothing',
};
const OUTCOME_TONE = { handled: 'green', skipped: 'slate', continued: 'sky' } as const;

/** "What would happen if a customer wrote this?": the chain's answer, step by step; nothing is sent. */
function ChainTestBox() {
  const numbers = useNumbers();
  const [text, setText] = useState('');
  const [replyId, setReplyId] = useState('');
  const [numberId, setNumberId] = useState('');
  const [at, setAt] = useState('');
  const test = useMutation({
    mutationFn: () =>
      api.automation.rules.test({
        text,
        ...(replyId ? { reply_id: replyId } : {}),
        ...(numberId ? { number_id: numberId } : {}),
        ...(at ? { at: new Date(at).toISOString() } : {}),
      }),
  });
  const r = test.data;
  return (
    <Card
      title="Test"
      description="Type what a customer might write: see which step of the chain would handle it, and why. Nothing is sent or changed."
    >
      <form
        aria-label="Test a message"
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          test.mutate();
        }}
      >
        <TextField label="Customer message" value={text} onChange={setText} />
        <div className="grid gap-3 sm:grid-cols-3">
          <TextField label="Button or list reply id (optional)" value={replyId} onChange={setReplyId} />
          <Field label="Number (optional)">
            {(id) => (
              <Select id={id} value={numberId} onChange={(e) => setNumberId(e.target.value)}>
                <option value="">Any number</option>
                {(numbers.data?.data ?? []).map((n) => (
                  <option key={n.id} value={n.id}>
                    {n.display_name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="At (optional)" hint="Business hours are checked at this time instead of now">
            {(id) => (
              <Input id={id} type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
            )}
          </Field>
        </div>
        <Button type="submit" disabledReason={test.isPending && 'Testing…'}>
          {test.isPending ? 'Testing…' : 'Test message'}
        </Button>
      </form>
      {test.error && (
        <div className="mt-3">
          <Alert>{errorMessage(test.error)}</Alert>
        </div>
      )}
      {r && (
        <section aria-label="Test result" className="mt-4 space-y-3">
          <p className="text-sm" data-testid="handled-by">
            Handled by: <strong>{STEP_LABELS[r.handled_by]}</strong>
          </p>
          <ol aria-label="Chain steps" className="space-y-1">
            {r.steps.map((s, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: steps are in chain order
              <li key={i} className="flex flex-wrap items-baseline gap-2 text-sm">
                <Badge tone={OUTCOME_TONE[s.outcome]}>{s.outcome}</Badge>
                <span className="font-medium">
                  {STEP_LABELS[s.step]}
                  {s.name ? `: ${s.name}` : ''}
                </span>
                <span className="text-slate-600">— {s.why}</span>
              </li>
            ))}
          </ol>
          <div>
            <h3 className="text-sm font-semibold text-slate-800">Actions that would run</h3>
            {r.actions.length === 0 ? (
              <p className="text-sm text-slate-500">None.</p>
            ) : (
              <ol aria-label="Actions that would run" className="list-decimal pl-5 text-sm">
                {r.actions.map((a, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: actions are in order
                  <li key={i}>{actionSummary(a)}</li>
                ))}
              </ol>
            )}
          </div>
        </section>
      )}
    </Card>
  );
}
