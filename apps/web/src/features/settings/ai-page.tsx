import {
  AI_MODES,
  AI_OUTCOMES,
  AI_PURPOSES,
  type AiMode,
  type AiSettings,
  type NumberAi,
  SEARCH_LANGUAGES,
  type WaNumber,
} from '@openwaba/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { type Column, Table } from '../../components/table.tsx';
import { Alert, Badge, Button, Card, Field, Input, Select } from '../../components/ui.tsx';
import { useMe } from '../auth/use-me.ts';
import { useNumbers } from '../numbers/use-numbers.ts';
import { type AiForm, changedFields, money, serverFieldErrors, toAiForm } from './ai-form.ts';
import { aiKeys } from './keys.ts';
import { useTeams } from './queries.ts';

const PROVIDERS = [
  ['openai', 'OpenAI'],
  ['anthropic', 'Anthropic'],
  ['openai_compatible', 'OpenAI-compatible (Ollama, vLLM, a gateway…)'],
] as const;

const MODE_LABEL: Record<AiMode, string> = {
  off: 'Off',
  suggest: 'Suggest (agents get drafts)',
  auto: 'Auto (the AI answers)',
};

const textarea =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-brand-600 focus:outline-none';

/**
 * Settings → AI: the organisation's model and key, its budget and limits, each number's mode and
 * prompt, and the log of every call made to the model. Admins only (`ai.manage`).
 */
export function AiPage() {
  const me = useMe();
  const canManage = me.data?.permissions.includes('ai.manage') ?? false;
  if (me.data && !canManage) return <Alert kind="info">Only admins and owners set up AI replies.</Alert>;
  return (
    <div className="max-w-5xl space-y-6">
      <AiSettingsSection />
      <NumbersSection />
      <CallLog />
    </div>
  );
}

function AiSettingsSection() {
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: aiKeys.settings, queryFn: () => api.ai.settings() });
  const teams = useTeams();
  const [form, setForm] = useState<AiForm | null>(null);
  useEffect(() => {
    if (settings.data) setForm(toAiForm(settings.data));
  }, [settings.data]);
  const save = useMutation({
    mutationFn: (body: ReturnType<typeof changedFields>) => api.ai.updateSettings(body),
    onSuccess: (next) => qc.setQueryData(aiKeys.settings, next),
  });
  const test = useMutation({
    mutationFn: () => api.ai.test(),
    // The test call is logged and counted: the usage and the log change.
    onSettled: () => void qc.invalidateQueries({ queryKey: aiKeys.all }),
  });
  if (settings.error) return <Alert>{errorMessage(settings.error)}</Alert>;
  if (!settings.data || !form) return <p role="status">Loading…</p>;
  const s = settings.data;
  const errors = serverFieldErrors(save.error);
  const set = (patch: Partial<AiForm>) => {
    setForm({ ...form, ...patch });
    if (save.error || save.isSuccess) save.reset();
  };
  const changes = changedFields(s, form);
  const dirty = Object.keys(changes).length > 0;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dirty) save.mutate(changes);
  };
  const textField = (
    key: keyof AiForm & keyof typeof errors,
    label: string,
    props: { hint?: string; type?: string; placeholder?: string; step?: string } = {},
  ) => (
    <Field label={label} hint={props.hint} error={errors[key]}>
      {(id) => (
        <Input
          id={id}
          type={props.type ?? 'text'}
          step={props.step}
          placeholder={props.placeholder}
          aria-invalid={errors[key] ? true : undefined}
          value={String(form[key])}
          onChange={(e) => set({ [key]: e.target.value } as Partial<AiForm>)}
        />
      )}
    </Field>
  );
  return (
    <>
      <Usage s={s} />
      <form onSubmit={submit} noValidate aria-label="AI settings" className="space-y-6">
        <Card
          title="Model"
          description="The model that writes replies, suggestions, labels and summaries. The key is stored sealed and never shown again."
        >
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Provider" error={errors.provider}>
              {(id) => (
                <Select
                  id={id}
                  value={form.provider}
                  onChange={(e) => set({ provider: e.target.value as AiForm['provider'] })}
                >
                  {PROVIDERS.map(([v, l]) => (
                    <option key={v} value={v}>
                      {l}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            {textField('model', 'Model', { placeholder: 'gpt-4o-mini' })}
            {textField('base_url', 'Base URL', {
              hint:
                form.provider === 'openai_compatible'
                  ? 'Required: the server’s OpenAI-style endpoint, e.g. http://ollama:11434/v1'
                  : 'Empty: the provider’s public endpoint',
              placeholder: 'https://…/v1',
            })}
            <Field
              label="API key"
              hint={
                form.remove_key
                  ? 'The stored key is removed when you save.'
                  : s.has_key
                    ? `Key stored …${s.key_hint ?? ''}. Type a new one to replace it.`
                    : 'No key stored.'
              }
              error={errors.api_key}
            >
              {(id) => (
                <div className="flex gap-2">
                  <Input
                    id={id}
                    type="password"
                    autoComplete="off"
                    placeholder={s.has_key ? `…${s.key_hint ?? ''}` : 'sk-…'}
                    value={form.api_key}
                    aria-invalid={errors.api_key ? true : undefined}
                    onChange={(e) => set({ api_key: e.target.value, remove_key: false })}
                  />
                  {s.has_key && !form.remove_key && (
                    <Button variant="danger" onClick={() => set({ api_key: '', remove_key: true })}>
                      Remove key
                    </Button>
                  )}
                </div>
              )}
            </Field>
          </div>
        </Card>
        <Card
          title="Budget and prices"
          description="Suggestions, labels and summaries stop for the day once the budget is spent; automatic replies hand over to people."
        >
          <div className="grid gap-4 sm:grid-cols-2">
            {textField('daily_token_budget', 'Daily token budget', {
              type: 'number',
              hint: 'Tokens in and out per day, in the organisation’s time zone; empty: no limit',
            })}
            {textField('currency', 'Currency', { hint: 'A 3-letter code, e.g. USD' })}
            {textField('price_input_per_mtok', 'Price per million input tokens', {
              type: 'number',
              step: '0.01',
            })}
            {textField('price_output_per_mtok', 'Price per million output tokens', {
              type: 'number',
              step: '0.01',
            })}
          </div>
        </Card>
        <Card title="Replies and hand-over">
          <div className="grid gap-4 sm:grid-cols-2">
            {textField('max_replies_per_contact', 'Max AI replies per customer', {
              type: 'number',
              hint: 'Then the conversation goes to people (default 40)',
            })}
            {textField('debounce_seconds', 'Wait before answering (seconds)', {
              type: 'number',
              hint: 'Messages sent in a burst get one answer',
            })}
            {textField('reply_max_chars', 'Reply max characters', { type: 'number' })}
            {textField('handover_keywords', 'Hand-over keywords', {
              hint: 'Comma separated; a customer writing one gets a person',
              placeholder: 'agent, human, person',
            })}
            <Field label="Hand-over team" error={errors.handover_team_id}>
              {(id) => (
                <Select
                  id={id}
                  value={form.handover_team_id}
                  onChange={(e) => set({ handover_team_id: e.target.value })}
                >
                  <option value="">Nobody in particular</option>
                  {(teams.data?.data ?? []).map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label="Knowledge search language" error={errors.search_language}>
              {(id) => (
                <Select
                  id={id}
                  value={form.search_language}
                  onChange={(e) => set({ search_language: e.target.value as AiForm['search_language'] })}
                >
                  {SEARCH_LANGUAGES.map((l) => (
                    <option key={l} value={l}>
                      {l}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </div>
        </Card>
        <Card title="Labels" description="Each customer message gets one intent label, shown in the inbox.">
          <div className="space-y-4">
            <label className="flex items-center gap-2 text-sm text-slate-700">
              <input
                type="checkbox"
                checked={form.labels_enabled}
                onChange={(e) => set({ labels_enabled: e.target.checked })}
              />
              Label customer messages
            </label>
            {textField('labels', 'Labels', { hint: 'Comma separated, up to 20' })}
          </div>
        </Card>
        {errors.form && <Alert>{errors.form}</Alert>}
        {save.error && <Alert>{errorMessage(save.error)}</Alert>}
        {save.isSuccess && <Alert kind="success">AI settings saved.</Alert>}
        <div className="flex flex-wrap items-center gap-2">
          <Button type="submit" disabledReason={save.isPending ? 'Saving…' : !dirty && 'Nothing changed'}>
            {save.isPending ? 'Saving…' : 'Save AI settings'}
          </Button>
          <Button
            variant="secondary"
            disabledReason={
              test.isPending ? 'Testing…' : dirty && 'Save first: the test uses the stored settings'
            }
            onClick={() => test.mutate()}
          >
            {test.isPending ? 'Testing…' : 'Test'}
          </Button>
        </div>
        {test.error && <Alert>{errorMessage(test.error)}</Alert>}
        {test.data &&
          (test.data.ok ? (
            <Alert kind="success">
              <span data-testid="ai-test-result">
                OK — {test.data.model} answered in {test.data.latency_ms} ms: “{test.data.reply}”
              </span>
            </Alert>
          ) : (
            <Alert>
              <span data-testid="ai-test-result">The test failed: {test.data.error}</span>
            </Alert>
          ))}
      </form>
    </>
  );
}

/** Today's tokens and cost against the budget, and the breaker when it is open. */
function Usage({ s }: { s: AiSettings }) {
  const budget = s.daily_token_budget;
  const pct = budget ? Math.min(100, Math.round((s.tokens_today / budget) * 100)) : null;
  const breaker = s.breaker_open_until && new Date(s.breaker_open_until).getTime() > Date.now();
  return (
    <Card title="Today">
      {!s.configured && (
        <div className="mb-3">
          <Alert kind="info">
            Not configured yet: choose a provider and a model (and a key, except for compatible servers).
          </Alert>
        </div>
      )}
      <p className="text-lg font-semibold text-slate-900" data-testid="ai-usage">
        {s.tokens_today.toLocaleString()} tokens
        {budget !== null && (
          <span className="ml-1 text-base font-normal text-slate-600">of {budget.toLocaleString()}</span>
        )}
        <span className="ml-3 text-base font-normal text-slate-600">{money(s.cost_today, s.currency)}</span>
      </p>
      {pct !== null && (
        <div
          className="mt-2 h-2 w-full rounded bg-slate-100"
          role="progressbar"
          aria-label="Tokens used today against the budget"
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
      {breaker && (
        <div className="mt-3">
          <Alert>
            The provider failed several times in a row: calls are paused until{' '}
            {new Date(s.breaker_open_until!).toLocaleTimeString()}.
          </Alert>
        </div>
      )}
    </Card>
  );
}

/** Each number's mode and system prompt. */
function NumbersSection() {
  const numbers = useNumbers();
  const ai = useQuery({ queryKey: aiKeys.numbers, queryFn: () => api.ai.numbers() });
  const byId = new Map((ai.data?.data ?? []).map((n) => [n.number_id, n]));
  return (
    <Card
      title="Numbers"
      description="Off: no AI. Suggest: agents get a drafted reply to edit. Auto: the AI answers customers itself, and hands over to people when it cannot."
    >
      {(numbers.error || ai.error) && <Alert>{errorMessage(numbers.error ?? ai.error)}</Alert>}
      {(numbers.isPending || ai.isPending) && <p className="text-sm text-slate-500">Loading…</p>}
      {numbers.data?.data.length === 0 && <p className="text-sm text-slate-500">No numbers connected yet.</p>}
      <ul className="divide-y divide-slate-100" aria-label="Numbers' AI">
        {ai.data &&
          (numbers.data?.data ?? []).map((n) => (
            <NumberRow
              key={n.id}
              number={n}
              initial={byId.get(n.id) ?? { number_id: n.id, mode: 'off', system_prompt: '' }}
            />
          ))}
      </ul>
    </Card>
  );
}

function NumberRow({ number, initial }: { number: WaNumber; initial: NumberAi }) {
  const qc = useQueryClient();
  const [mode, setMode] = useState<AiMode>(initial.mode);
  const [prompt, setPrompt] = useState(initial.system_prompt);
  const save = useMutation({
    mutationFn: () =>
      api.ai.updateNumber(number.id, {
        ...(mode !== initial.mode ? { mode } : {}),
        ...(prompt !== initial.system_prompt ? { system_prompt: prompt } : {}),
      }),
    onSuccess: (saved) => {
      qc.setQueryData<{ data: NumberAi[] }>(aiKeys.numbers, (old) =>
        old ? { data: [...old.data.filter((x) => x.number_id !== saved.number_id), saved] } : old,
      );
    },
  });
  const dirty = mode !== initial.mode || prompt !== initial.system_prompt;
  const errors = serverFieldErrors(save.error);
  return (
    <li className="py-4" aria-label={number.display_name}>
      <form
        className="space-y-3"
        aria-label={`AI of ${number.display_name}`}
        onSubmit={(e) => {
          e.preventDefault();
          if (dirty) save.mutate();
        }}
      >
        <div className="flex flex-wrap items-end gap-3">
          <p className="min-w-40 flex-1 font-medium text-slate-900">{number.display_name}</p>
          <Field label="Mode" error={errors.mode}>
            {(id) => (
              <Select
                id={id}
                className="w-64"
                value={mode}
                onChange={(e) => {
                  setMode(e.target.value as AiMode);
                  save.reset();
                }}
              >
                {AI_MODES.map((m) => (
                  <option key={m} value={m}>
                    {MODE_LABEL[m]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
        <Field
          label="System prompt"
          hint="Who the AI answers for and how: the business, its tone, what it must not promise"
          error={errors.system_prompt}
        >
          {(id) => (
            <textarea
              id={id}
              rows={3}
              maxLength={8000}
              className={textarea}
              value={prompt}
              placeholder="You answer for Acme Bakery. Be brief and friendly."
              onChange={(e) => {
                setPrompt(e.target.value);
                save.reset();
              }}
            />
          )}
        </Field>
        <div className="flex items-center gap-3">
          <Button type="submit" disabledReason={save.isPending ? 'Saving…' : !dirty && 'Nothing changed'}>
            {save.isPending ? 'Saving…' : 'Save'}
          </Button>
          {save.isSuccess && !dirty && (
            <span role="status" className="text-sm text-emerald-700">
              Saved.
            </span>
          )}
          {save.error && (
            <span role="alert" className="text-sm text-red-700">
              {errorMessage(save.error)}
            </span>
          )}
        </div>
      </form>
    </li>
  );
}

type Call = Awaited<ReturnType<typeof api.ai.calls>>['data'][number];

const OUTCOME_TONE = { ok: 'green', error: 'red', handover: 'amber', skipped: 'slate' } as const;

const CALL_COLUMNS: Column<Call>[] = [
  { header: 'Time', className: 'whitespace-nowrap', cell: (c) => new Date(c.at).toLocaleString() },
  { header: 'Purpose', cell: (c) => c.purpose },
  { header: 'Outcome', cell: (c) => <Badge tone={OUTCOME_TONE[c.outcome]}>{c.outcome}</Badge> },
  { header: 'Detail', className: 'break-words text-slate-700', cell: (c) => c.detail ?? '' },
  { header: 'Model', className: 'font-mono text-xs', cell: (c) => c.model },
  {
    header: 'Tokens in / out',
    align: 'right',
    className: 'tabular-nums whitespace-nowrap',
    cell: (c) => `${c.input_tokens.toLocaleString()} / ${c.output_tokens.toLocaleString()}`,
  },
  {
    header: 'Latency',
    align: 'right',
    className: 'tabular-nums whitespace-nowrap',
    cell: (c) => (c.latency_ms === null ? '—' : `${c.latency_ms} ms`),
  },
  {
    header: 'Cost',
    align: 'right',
    className: 'tabular-nums whitespace-nowrap',
    cell: (c) => money(c.cost, c.currency),
  },
];

/** Saves a streamed CSV as a file. */
async function saveCsv(stream: ReadableStream<Uint8Array>, name: string) {
  const blob = await new Response(stream).blob();
  const url = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function CallLog() {
  const [filters, setFilters] = useState({ purpose: '', outcome: '' });
  const q = {
    ...(filters.purpose ? { purpose: filters.purpose } : {}),
    ...(filters.outcome ? { outcome: filters.outcome } : {}),
  };
  const log = useInfiniteQuery({
    queryKey: aiKeys.calls(filters),
    queryFn: ({ pageParam }) => api.ai.calls({ ...q, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '' as string,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const exportCsv = useMutation({
    mutationFn: async () => saveCsv(await api.ai.exportCalls(q), 'ai-calls.csv'),
  });
  const rows = log.data?.pages.flatMap((p) => p.data) ?? [];
  const filter = (label: string, key: 'purpose' | 'outcome', options: readonly string[]): ReactNode => (
    <Field label={label}>
      {(id) => (
        <Select
          id={id}
          className="w-40"
          value={filters[key]}
          onChange={(e) => setFilters({ ...filters, [key]: e.target.value })}
        >
          <option value="">All</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
  return (
    <Card
      title="AI call log"
      description="Every call made to the model: what for, how it went, what it cost."
    >
      <div className="mb-4 flex flex-wrap items-end gap-3">
        {filter('Purpose', 'purpose', AI_PURPOSES)}
        {filter('Outcome', 'outcome', AI_OUTCOMES)}
        <Button
          variant="secondary"
          disabledReason={exportCsv.isPending && 'Exporting…'}
          onClick={() => exportCsv.mutate()}
        >
          {exportCsv.isPending ? 'Exporting…' : 'Export CSV'}
        </Button>
      </div>
      {exportCsv.error && <Alert>{errorMessage(exportCsv.error)}</Alert>}
      {log.error && <Alert>{errorMessage(log.error)}</Alert>}
      <Table
        caption="AI call log"
        testId="ai-calls"
        columns={CALL_COLUMNS}
        rows={rows}
        rowKey={(c) => c.id}
        status={log.status}
        empty="No calls yet."
      />
      {log.hasNextPage && (
        <div className="mt-3 text-center">
          <Button
            variant="secondary"
            onClick={() => log.fetchNextPage()}
            disabledReason={log.isFetchingNextPage && 'Loading…'}
          >
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}
