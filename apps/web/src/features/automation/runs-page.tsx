import { type FlowRun, RUN_STATUSES } from '@openwaba/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect } from '../../components/filters.tsx';
import { RelativeTime } from '../../components/relative-time.tsx';
import { RowLink, Table } from '../../components/table.tsx';
import { Alert, BackLink, Badge, Button, Card } from '../../components/ui.tsx';
import { automationKeys } from './keys.ts';
import { useAutomationRights, useFlows } from './queries.ts';

const STATUS_TONE = {
  active: 'sky',
  waiting: 'sky',
  completed: 'green',
  stopped: 'slate',
  failed: 'red',
} as const;
const OUTCOME_TONE = {
  entered: 'slate',
  completed: 'green',
  dropped: 'amber',
  timed_out: 'amber',
  error: 'red',
  waiting: 'sky',
} as const;

const who = (r: FlowRun) => (r.test ? 'Test chat' : (r.contact?.name ?? r.contact?.phone ?? '—'));
/** A test of the draft runs no published version. */
const versionOf = (r: FlowRun) => (r.version > 0 ? `v${r.version}` : 'draft');
const running = (r: FlowRun) => r.status === 'active' || r.status === 'waiting';

/** Automation → Runs: every run of every flow, newest first, filtered by flow, status and test. */
export function RunsPage() {
  const flows = useFlows();
  // The filters live in the address: a reload or a link keeps them.
  const [params, setParams] = useSearchParams();
  const flowId = params.get('flow') ?? '';
  const status = (RUN_STATUSES as readonly string[]).includes(params.get('status') ?? '')
    ? (params.get('status') as (typeof RUN_STATUSES)[number])
    : '';
  const test =
    params.get('test') === 'true' || params.get('test') === 'false'
      ? (params.get('test') as 'true' | 'false')
      : '';
  const setParam = (key: string) => (v: string) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (v) next.set(key, v);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  const setFlowId = setParam('flow');
  const setStatus = setParam('status');
  const setTest = setParam('test');
  const filter = {
    ...(flowId ? { flow_id: flowId } : {}),
    ...(status ? { status } : {}),
    ...(test ? { test } : {}),
  };
  const runs = useInfiniteQuery({
    queryKey: automationKeys.runList(filter),
    queryFn: ({ pageParam }) =>
      api.automation.runs.list({ ...filter, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 10_000,
  });
  const rows = runs.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <div className="space-y-4">
      <FilterBar label="Run filters">
        <FilterSelect
          label="Flow"
          value={flowId}
          onChange={setFlowId}
          options={[['', 'All flows'], ...(flows.data?.data ?? []).map((f) => [f.id, f.name] as const)]}
        />
        <FilterSelect
          label="Status"
          value={status}
          onChange={setStatus}
          options={[['', 'Any status'], ...RUN_STATUSES.map((s) => [s, s] as const)]}
        />
        <FilterSelect
          label="Test runs"
          value={test}
          onChange={setTest}
          options={[
            ['', 'Test and real'],
            ['false', 'Real customers only'],
            ['true', 'Test runs only'],
          ]}
        />
      </FilterBar>
      {runs.error && <Alert>{errorMessage(runs.error)}</Alert>}
      <Table
        caption="Runs"
        look="card"
        rows={rows}
        rowKey={(r) => r.id}
        status={runs.status}
        loadingText="Loading runs…"
        empty="No runs match."
        columns={[
          {
            header: 'Started',
            cell: (r) => (
              <RowLink to={`/automation/runs/${r.id}`}>{new Date(r.started_at).toLocaleString()}</RowLink>
            ),
          },
          { header: 'Flow', cell: (r) => `${r.flow_name} ${versionOf(r)}` },
          { header: 'Contact', cell: (r) => who(r) },
          {
            header: 'Status',
            cell: (r) => (
              <Badge tone={STATUS_TONE[r.status]}>
                {r.status}
                {r.waiting_for ? ` (${r.waiting_for})` : ''}
              </Badge>
            ),
          },
          { header: 'Node', from: 'md', cell: (r) => r.current_node ?? '—' },
          { header: 'Steps', align: 'right', from: 'md', cell: (r) => r.steps },
          { header: 'Ended', from: 'lg', cell: (r) => r.end_reason ?? '' },
        ]}
      />
      {runs.hasNextPage && (
        <Button
          variant="secondary"
          disabledReason={runs.isFetchingNextPage && 'Loading…'}
          onClick={() => void runs.fetchNextPage()}
        >
          Load more
        </Button>
      )}
    </div>
  );
}

const inputText = (v: unknown) =>
  v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** One run: where it is, its variables and its execution log; a running one can be stopped. */
export function RunPage() {
  const { id = '' } = useParams();
  const { canManage } = useAutomationRights();
  const qc = useQueryClient();
  const run = useQuery({
    queryKey: automationKeys.run(id),
    queryFn: () => api.automation.runs.get(id),
    refetchInterval: (q) => (q.state.data && running(q.state.data) ? 5000 : false),
  });
  const stop = useMutation({
    mutationFn: () => api.automation.runs.stop(id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: automationKeys.runs });
      void qc.invalidateQueries({ queryKey: automationKeys.run(id) });
    },
  });
  const r = run.data;
  return (
    <div className="space-y-4">
      <BackLink to="/automation/runs">Runs</BackLink>
      {run.error && <Alert>{errorMessage(run.error)}</Alert>}
      {!r && run.isPending && (
        <p className="text-sm text-slate-500" role="status">
          Loading the run…
        </p>
      )}
      {r && (
        <>
          <Card title={`Run of ${r.flow_name} ${versionOf(r)}`}>
            <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-3">
              <div>
                <dt className="text-slate-500">Status</dt>
                <dd>
                  <Badge tone={STATUS_TONE[r.status]}>
                    <span data-testid="run-status">{r.status}</span>
                  </Badge>
                  {r.waiting_for && ` waiting for ${r.waiting_for}`}
                  {r.due_at && (
                    <>
                      {' until '}
                      <RelativeTime iso={r.due_at} />
                    </>
                  )}
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">Contact</dt>
                <dd>
                  {r.contact ? (
                    <Link className="text-brand-700 hover:underline" to={`/contacts/${r.contact.id}`}>
                      {who(r)}
                    </Link>
                  ) : (
                    who(r)
                  )}
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">Flow</dt>
                <dd>
                  <Link className="text-brand-700 hover:underline" to={`/automation/flows/${r.flow_id}`}>
                    {r.flow_name}
                  </Link>
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">Started</dt>
                <dd>{new Date(r.started_at).toLocaleString()}</dd>
              </div>
              <div>
                <dt className="text-slate-500">Ended</dt>
                <dd>
                  {r.ended_at
                    ? `${new Date(r.ended_at).toLocaleString()}${r.end_reason ? ` — ${r.end_reason}` : ''}`
                    : '—'}
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">Current node</dt>
                <dd className="font-mono">{r.current_node ?? '—'}</dd>
              </div>
            </dl>
            {Object.keys(r.vars).length > 0 && (
              <div className="mt-4">
                <h3 className="text-sm font-semibold text-slate-800">Variables</h3>
                <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-4 text-sm">
                  {Object.entries(r.vars).map(([k, v]) => (
                    <div key={k} className="contents">
                      <dt className="font-mono text-slate-600">{k}</dt>
                      <dd className="break-words">{v}</dd>
                    </div>
                  ))}
                </dl>
              </div>
            )}
            {canManage && running(r) && (
              <div className="mt-4">
                <Button
                  variant="danger"
                  disabledReason={stop.isPending && 'Stopping…'}
                  onClick={() => stop.mutate()}
                >
                  Stop run
                </Button>
                {stop.error && <Alert>{errorMessage(stop.error)}</Alert>}
              </div>
            )}
          </Card>
          <Card title="Execution log">
            <Table
              caption="Execution log"
              look="inset"
              density="compact"
              rows={r.log}
              rowKey={(s) => `${s.at}-${s.node_id}-${s.outcome}-${r.log.indexOf(s)}`}
              empty="Nothing logged yet."
              columns={[
                {
                  header: 'Time',
                  cell: (s) => new Date(s.at).toLocaleTimeString(),
                  className: 'whitespace-nowrap tabular-nums',
                },
                {
                  header: 'Node',
                  cell: (s) => <span className="font-mono">{`${s.node_id} (${s.node_type})`}</span>,
                },
                { header: 'Outcome', cell: (s) => <Badge tone={OUTCOME_TONE[s.outcome]}>{s.outcome}</Badge> },
                { header: 'Input', cell: (s) => <span className="break-all">{inputText(s.input)}</span> },
                { header: 'Detail', cell: (s) => s.detail ?? '' },
                {
                  header: 'Error',
                  cell: (s) => (s.error ? <span className="text-red-700">{s.error}</span> : ''),
                },
              ]}
            />
          </Card>
        </>
      )}
    </div>
  );
}
