import '@xyflow/react/dist/style.css';
import type { Flow, FlowNodeType, FlowProblem, FlowRunDetail } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  addEdge,
  Background,
  type Connection,
  Controls,
  type Edge,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
} from '@xyflow/react';
import { useCallback, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { RelativeTime } from '../../components/relative-time.tsx';
import { Alert, BackLink, Badge, Button, ConfirmPanel, cx, Input } from '../../components/ui.tsx';
import { Inspector } from './flow-inspector.tsx';
import {
  type CanvasNode,
  defaultData,
  edgeId,
  freshId,
  handleLabel,
  handlesOf,
  NODE_LABELS,
  NODE_TYPES,
  nodeSummary,
  toCanvas,
  toGraph,
} from './flow-model.ts';
import { CanvasOverlay, nodeTypes } from './flow-node.tsx';
import { TestPanel } from './flow-test-panel.tsx';
import { downloadFlow } from './flows-page.tsx';
import { automationKeys } from './keys.ts';
import { type Problems, problemsOf } from './problems.ts';
import { useAutomationRights } from './queries.ts';

type Tab = 'inspector' | 'problems' | 'test' | 'versions';

/** What a node does and where it leads, for those who may not change it. */
function ReadOnlyNode({ node, edges }: { node: CanvasNode; edges: readonly Edge[] }) {
  const t = node.type as FlowNodeType;
  return (
    <section aria-label="Node" className="space-y-2 text-sm">
      <h3 className="font-semibold text-slate-900">
        {NODE_LABELS[t]} <span className="font-mono text-xs font-normal text-slate-500">{node.id}</span>
      </h3>
      <p className="text-slate-700">{nodeSummary(t, node.data)}</p>
      <ul className="text-slate-600">
        {handlesOf(t, node.data).map((h) => {
          const to = edges.find((e) => e.source === node.id && (e.sourceHandle ?? 'next') === h)?.target;
          return <li key={h}>{`${handleLabel(t, node.data, h)} → ${to ?? 'the run ends'}`}</li>;
        })}
      </ul>
    </section>
  );
}

/** A publish refused: its details are the draft's problems. */
function refusedProblems(err: unknown): FlowProblem[] | null {
  if (!(err instanceof ApiError)) return null;
  const d = err.details as unknown;
  const list = Array.isArray(d)
    ? d
    : Array.isArray((d as { problems?: unknown })?.problems)
      ? (d as { problems: unknown[] }).problems
      : null;
  if (!list?.every((p) => p && typeof p === 'object' && 'message' in p && 'severity' in p)) return null;
  return list as FlowProblem[];
}

/** A 400's paths (`graph.nodes.3.data.text`) as problems of the nodes they name. */
function pathProblems(err: unknown, nodes: readonly CanvasNode[]): FlowProblem[] {
  return Object.entries(problemsOf(err)).map(([path, message]) => {
    const m = path.match(/^(?:graph\.)?nodes\.(\d+)(?:\.|$)/);
    const node = m ? nodes[Number(m[1])] : undefined;
    return {
      severity: 'error',
      path: path.replace(/^graph\./, '').split('.'),
      node_id: node?.id ?? null,
      message,
    } as FlowProblem;
  });
}

/** Each node's messages, by the path below the node (`data.text`), for its inspector fields. */
function perNode(problems: readonly FlowProblem[], nodes: readonly CanvasNode[]): Record<string, Problems> {
  const out: Record<string, Problems> = {};
  for (const p of problems) {
    const path = p.path.map(String);
    let id = p.node_id;
    if (path[0] === 'nodes' && path[1] !== undefined) id ??= nodes[Number(path[1])]?.id ?? null;
    if (!id) continue;
    const rest = path[0] === 'nodes' ? path.slice(2).join('.') : '';
    const mine = out[id] ?? {};
    out[id] = mine;
    mine[rest] ??= p.message;
  }
  return out;
}

export function FlowEditorPage() {
  const { id = '' } = useParams();
  const flow = useQuery({ queryKey: automationKeys.flow(id), queryFn: () => api.automation.flows.get(id) });
  if (flow.error) return <Alert>{errorMessage(flow.error)}</Alert>;
  if (!flow.data)
    return (
      <p className="text-sm text-slate-500" role="status">
        Loading the flow…
      </p>
    );
  return (
    <ReactFlowProvider>
      <Editor key={flow.data.id} flow={flow.data} />
    </ReactFlowProvider>
  );
}

function Editor({ flow }: { flow: Flow }) {
  const { canManage } = useAutomationRights();
  const qc = useQueryClient();
  const { fitView } = useReactFlow();
  const initial = useMemo(() => toCanvas(flow.graph), [flow.graph]);
  const [nodes, setNodes, onNodesChange] = useNodesState<CanvasNode>(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>(initial.edges);
  const [name, setName] = useState(flow.name);
  const [description, setDescription] = useState(flow.description);
  const [deleting, setDeleting] = useState(false);
  // Deleted: nothing of this flow is asked for again while the page goes back to the list.
  const [gone, setGone] = useState(false);
  const navigate = useNavigate();
  const [saved, setSaved] = useState(() =>
    JSON.stringify({
      name: flow.name,
      description: flow.description,
      graph: toGraph(initial.nodes, initial.edges),
    }),
  );
  const [selected, setSelected] = useState<string | null>(null);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('inspector');
  const [problems, setProblems] = useState<FlowProblem[]>(flow.problems);
  const [notice, setNotice] = useState<string | null>(null);
  const [path, setPath] = useState<ReadonlySet<string>>(new Set());
  const graph = toGraph(nodes, edges);
  const current = JSON.stringify({ name, description, graph });
  const dirty = current !== saved;

  const versions = useQuery({
    queryKey: automationKeys.versions(flow.id),
    queryFn: () => api.automation.flows.versions(flow.id),
    enabled: !gone,
  });
  const stats = useQuery({
    queryKey: automationKeys.stats(flow.id),
    queryFn: () => api.automation.flows.stats(flow.id),
    enabled: flow.published_version !== null && !gone,
    refetchInterval: 15_000,
  });

  const afterSave = (f: Flow) => {
    qc.setQueryData(automationKeys.flow(f.id), f);
    void qc.invalidateQueries({ queryKey: automationKeys.flows });
    setSaved(current);
    setProblems(f.problems);
  };
  const save = useMutation({
    mutationFn: () => api.automation.flows.update(flow.id, { name, description, graph }),
    onSuccess: (f) => {
      afterSave(f);
      setNotice('Draft saved.');
    },
    onError: (e) => setProblems(pathProblems(e, nodes)),
  });
  /** The test and publish run the saved draft: save unsaved changes first. */
  const saveIfDirty = async () => {
    if (!dirty) return;
    const f = await api.automation.flows.update(flow.id, { name, description, graph });
    afterSave(f);
  };
  const validate = useMutation({
    mutationFn: () => api.automation.flows.validate(flow.id, graph),
    onSuccess: (v) => {
      setProblems(v.problems);
      setNotice(v.ok ? (v.problems.length ? 'Valid, with warnings.' : 'The flow is valid.') : null);
      setTab('problems');
    },
    onError: (e) => setProblems(pathProblems(e, nodes)),
  });
  const publish = useMutation({
    mutationFn: async () => {
      await saveIfDirty();
      return api.automation.flows.publish(flow.id);
    },
    onSuccess: (f) => {
      afterSave(f);
      setNotice(`Published version ${f.published_version}.`);
      void qc.invalidateQueries({ queryKey: automationKeys.versions(flow.id) });
      void qc.invalidateQueries({ queryKey: automationKeys.stats(flow.id) });
    },
    onError: (e) => {
      const refused = refusedProblems(e);
      setProblems(refused ?? pathProblems(e, nodes));
      setTab('problems');
    },
  });
  const exportFlow = useMutation({ mutationFn: () => downloadFlow(flow.id) });
  const remove = useMutation({
    mutationFn: () => api.automation.flows.remove(flow.id),
    onSuccess: () => {
      setGone(true);
      navigate('/automation/flows');
      // The flow, its versions and stats are gone: forget them rather than ask again (404).
      qc.removeQueries({ queryKey: automationKeys.flow(flow.id) });
      void qc.invalidateQueries({ queryKey: automationKeys.flows, exact: true });
    },
  });

  const problemIds = useMemo(
    () =>
      new Set(
        problems
          .filter((p) => p.severity === 'error')
          .map((p) => p.node_id ?? '')
          .filter(Boolean),
      ),
    [problems],
  );
  const byNode = perNode(problems, nodes);
  const overlay = useMemo(
    () => ({ counts: stats.data?.nodes ?? {}, problems: problemIds, path }),
    [stats.data, problemIds, path],
  );
  const selectNode = (nodeId: string | null) => {
    setSelected(nodeId);
    setSelectedEdge(null);
    setNodes((ns) => ns.map((n) => ({ ...n, selected: n.id === nodeId })));
    if (nodeId) setTab('inspector');
  };
  const connect = (source: string, handle: string, target: string | null) =>
    setEdges((es) => {
      // One connection per handle: a new one replaces the old.
      const rest = es.filter((e) => !(e.source === source && (e.sourceHandle ?? 'next') === handle));
      return target ? [...rest, { id: edgeId(source, handle), source, sourceHandle: handle, target }] : rest;
    });
  const onConnect = (c: Connection) => {
    if (!c.source || !c.target || c.source === c.target) return;
    const handle = c.sourceHandle ?? 'next';
    setEdges((es) =>
      addEdge(
        { id: edgeId(c.source, handle), source: c.source, sourceHandle: handle, target: c.target },
        es.filter((e) => !(e.source === c.source && (e.sourceHandle ?? 'next') === handle)),
      ),
    );
  };
  const addNode = (type: FlowNodeType) => {
    const taken = new Set(nodes.map((n) => n.id));
    const id = freshId(type, taken);
    // Beside the selected node (or the last one), below whatever already stands there.
    const anchor = nodes.find((n) => n.id === selected) ?? nodes.at(-1);
    const left = Math.min(...nodes.map((n) => n.position.x), 40);
    // Three columns, then a new row: the canvas stays readable without zooming far out.
    const wrap = anchor !== undefined && anchor.position.x + 280 > left + 3 * 280;
    const x = !anchor ? 40 : wrap ? left : anchor.position.x + 280;
    let y = !anchor ? 120 : wrap ? Math.max(...nodes.map((n) => n.position.y)) + 220 : anchor.position.y;
    while (nodes.some((n) => Math.abs(n.position.x - x) < 200 && Math.abs(n.position.y - y) < 160)) y += 180;
    const position = { x, y };
    setNodes((ns) => [
      ...ns.map((n) => ({ ...n, selected: false })),
      { id, type, position, data: defaultData(type), selected: true },
    ]);
    setSelected(id);
    setSelectedEdge(null);
    setTab('inspector');
    // Keep the whole flow in sight once the new node has been measured.
    setTimeout(() => void fitView({ maxZoom: 1, padding: 0.1 }), 50);
  };
  const removeNode = (nodeId: string) => {
    setNodes((ns) => ns.filter((n) => n.id !== nodeId));
    setEdges((es) => es.filter((e) => e.source !== nodeId && e.target !== nodeId));
    setSelected(null);
  };
  // A node chosen with the keyboard (Tab, then Enter) opens in the inspector like a clicked one.
  const onSelectionChange = useCallback(
    ({ nodes: ns, edges: es }: { nodes: CanvasNode[]; edges: Edge[] }) => {
      if (ns.length === 1 && ns[0]) {
        setSelected(ns[0].id);
        setSelectedEdge(null);
      } else if (ns.length === 0 && es.length === 1 && es[0]) {
        setSelected(null);
        setSelectedEdge(es[0].id);
      }
    },
    [],
  );
  const node = nodes.find((n) => n.id === selected);
  const busy = save.isPending || publish.isPending;
  const errors = problems.filter((p) => p.severity === 'error').length;

  return (
    <div className="space-y-3">
      <BackLink to="/automation/flows">Flows</BackLink>
      <div className="flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor="flow-name" className="block text-sm font-medium text-slate-700">
            Flow name
          </label>
          <Input
            id="flow-name"
            className="w-64"
            value={name}
            disabled={!canManage}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor="flow-description" className="block text-sm font-medium text-slate-700">
            Description
          </label>
          <Input
            id="flow-description"
            className="w-80"
            value={description}
            disabled={!canManage}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <div className="flex flex-wrap items-center gap-2 text-sm">
          {flow.published_version === null ? (
            <Badge tone="slate">Not published</Badge>
          ) : (
            <Badge tone="green">{`Published v${flow.published_version}`}</Badge>
          )}
          {flow.draft_changed && flow.published_version !== null && <Badge tone="amber">Draft changed</Badge>}
          {dirty && <Badge tone="sky">Unsaved changes</Badge>}
          {flow.active_runs > 0 && <span className="text-slate-600">{flow.active_runs} active runs</span>}
        </div>
        <div className="ml-auto flex flex-wrap gap-2">
          {canManage && (
            <Button
              variant="secondary"
              disabledReason={(busy && 'Saving…') || (!dirty && 'No unsaved changes')}
              onClick={() => {
                setNotice(null);
                save.mutate();
              }}
            >
              Save draft
            </Button>
          )}
          <Button
            variant="secondary"
            disabledReason={validate.isPending && 'Validating…'}
            onClick={() => {
              setNotice(null);
              validate.mutate();
            }}
          >
            Validate
          </Button>
          {canManage && (
            <Button
              disabledReason={busy && 'Publishing…'}
              onClick={() => {
                setNotice(null);
                publish.mutate();
              }}
            >
              Publish
            </Button>
          )}
          <Button
            variant="ghost"
            disabledReason={exportFlow.isPending && 'Exporting…'}
            onClick={() => exportFlow.mutate()}
          >
            Export
          </Button>
          {canManage && (
            <Button variant="ghost" className="text-red-700" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          )}
        </div>
      </div>
      {deleting && (
        <ConfirmPanel
          id="delete-flow"
          title={`Delete the flow “${flow.name}”?`}
          confirmLabel="Delete flow"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : undefined}
          onConfirm={() => remove.mutate()}
          onCancel={() => setDeleting(false)}
        >
          {flow.active_runs > 0
            ? `Its ${flow.active_runs} running contacts are stopped; their run logs go with it.`
            : 'Its versions and run logs go with it.'}
        </ConfirmPanel>
      )}
      {notice && <Alert kind="success">{notice}</Alert>}
      {save.error && <Alert>{errorMessage(save.error)}</Alert>}
      {publish.error && <Alert>{errorMessage(publish.error)}</Alert>}
      {validate.error && <Alert>{errorMessage(validate.error)}</Alert>}
      {exportFlow.error && <Alert>{errorMessage(exportFlow.error)}</Alert>}
      <div className="flex flex-col gap-3 lg:flex-row">
        {canManage && (
          <section
            aria-label="Add a node"
            className="flex shrink-0 flex-row flex-wrap gap-1 lg:w-36 lg:flex-col"
          >
            <h3 className="w-full text-xs font-semibold uppercase tracking-wide text-slate-500">
              Add a node
            </h3>
            {NODE_TYPES.map((t) => (
              <Button
                key={t}
                variant="secondary"
                className="justify-start px-2 py-1 text-xs"
                onClick={() => addNode(t)}
              >
                {NODE_LABELS[t]}
              </Button>
            ))}
          </section>
        )}
        <div
          className="h-[480px] w-full min-w-0 rounded-lg border border-slate-200 bg-white lg:h-[620px] lg:w-auto lg:flex-1"
          data-testid="flow-canvas"
        >
          <CanvasOverlay value={overlay}>
            <ReactFlow<CanvasNode, Edge>
              nodes={nodes}
              edges={edges.map((e) =>
                path.has(e.source) && path.has(e.target) ? { ...e, animated: true } : e,
              )}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onNodeClick={(_e, n) => {
                setSelected(n.id);
                setSelectedEdge(null);
                setTab('inspector');
              }}
              onEdgeClick={(_e, ed) => {
                setSelectedEdge(ed.id);
                setSelected(null);
              }}
              onSelectionChange={onSelectionChange}
              onPaneClick={() => {
                setSelected(null);
                setSelectedEdge(null);
              }}
              onNodesDelete={(ds) => {
                if (ds.some((d) => d.id === selected)) setSelected(null);
              }}
              nodesDraggable={canManage}
              nodesConnectable={canManage}
              elementsSelectable
              deleteKeyCode={canManage ? ['Backspace', 'Delete'] : null}
              fitView
              fitViewOptions={{ maxZoom: 1 }}
              minZoom={0.2}
              proOptions={{ hideAttribution: true }}
            >
              <Background />
              <Controls showInteractive={false} />
            </ReactFlow>
          </CanvasOverlay>
        </div>
        <aside aria-label="Flow panel" className="w-full shrink-0 space-y-3 lg:w-96">
          <div role="tablist" aria-label="Flow panel" className="flex gap-1 border-b border-slate-200">
            {(
              [
                ['inspector', 'Inspector'],
                ['problems', errors ? `Problems (${errors})` : 'Problems'],
                ['test', 'Test'],
                ['versions', 'Versions'],
              ] as const
            )
              // Test runs are for those who change flows.
              .filter(([t]) => canManage || t !== 'test')
              .map(([t, label]) => (
                <button
                  key={t}
                  type="button"
                  role="tab"
                  id={`tab-${t}`}
                  aria-selected={tab === t}
                  aria-controls={`panel-${t}`}
                  className={cx(
                    '-mb-px border-b-2 px-2 py-1.5 text-sm',
                    tab === t
                      ? 'border-brand-600 font-semibold text-brand-800'
                      : 'border-transparent text-slate-600',
                  )}
                  onClick={() => setTab(t)}
                >
                  {label}
                </button>
              ))}
          </div>
          <div
            role="tabpanel"
            id={`panel-${tab}`}
            aria-labelledby={`tab-${tab}`}
            className="max-h-[580px] overflow-y-auto pr-1"
          >
            {tab === 'inspector' &&
              (node && canManage ? (
                <>
                  {problems.some((p) => p.node_id === node.id) && (
                    <ul aria-label="Problems of this node" className="mb-3 space-y-1 text-xs">
                      {problems
                        .filter((p) => p.node_id === node.id)
                        .map((p, i) => (
                          // biome-ignore lint/suspicious/noArrayIndexKey: problems come in the server's order
                          <li key={i} className={p.severity === 'error' ? 'text-red-700' : 'text-amber-700'}>
                            {p.message}
                          </li>
                        ))}
                    </ul>
                  )}
                  <Inspector
                    node={node}
                    nodes={nodes}
                    edges={edges}
                    at={{ problems: byNode[node.id] ?? {}, path: '' }}
                    onData={(data) =>
                      setNodes((ns) => ns.map((n) => (n.id === node.id ? { ...n, data } : n)))
                    }
                    onConnect={(handle, target) => connect(node.id, handle, target)}
                    onDelete={() => removeNode(node.id)}
                  />
                </>
              ) : selectedEdge && canManage ? (
                <div className="space-y-2">
                  <p className="text-sm text-slate-700">{`Connection ${selectedEdge}`}</p>
                  <Button
                    variant="danger"
                    onClick={() => {
                      setEdges((es) => es.filter((e) => e.id !== selectedEdge));
                      setSelectedEdge(null);
                    }}
                  >
                    Delete connection
                  </Button>
                </div>
              ) : node ? (
                <ReadOnlyNode node={node} edges={edges} />
              ) : (
                <p className="text-sm text-slate-500">
                  {canManage
                    ? 'Select a node to edit it. Drag from a handle on a node’s right to another node to connect them; Delete removes the selection.'
                    : 'Select a node to see what it does.'}
                </p>
              ))}
            {tab === 'problems' &&
              (problems.length === 0 ? (
                <p className="text-sm text-slate-500">No problems found.</p>
              ) : (
                <ul aria-label="Problems" className="space-y-1">
                  {problems.map((p, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: problems come in the server's order
                    <li key={i}>
                      <button
                        type="button"
                        className="flex w-full items-start gap-2 rounded px-2 py-1 text-left text-sm hover:bg-slate-50"
                        disabled={!p.node_id}
                        onClick={() => p.node_id && selectNode(p.node_id)}
                      >
                        <Badge tone={p.severity === 'error' ? 'red' : 'amber'}>{p.severity}</Badge>
                        <span>
                          {p.node_id && (
                            <span className="font-mono text-xs text-slate-500">{p.node_id}: </span>
                          )}
                          {p.message}
                        </span>
                      </button>
                    </li>
                  ))}
                </ul>
              ))}
            {tab === 'test' && canManage && (
              <TestPanel
                flowId={flow.id}
                published={flow.published_version !== null}
                prepare={saveIfDirty}
                onRun={(r: FlowRunDetail | null) => setPath(new Set(r?.log.map((s) => s.node_id) ?? []))}
              />
            )}
            {tab === 'versions' &&
              (versions.data?.data.length ? (
                <ul aria-label="Versions" className="space-y-1 text-sm">
                  {versions.data.data.map((v) => (
                    <li key={v.version}>
                      <strong>v{v.version}</strong> · <RelativeTime iso={v.published_at} />
                      {v.published_by && ` · ${v.published_by.name ?? 'someone'}`}
                      {` · ${v.graph.nodes.length} nodes`}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="text-sm text-slate-500">
                  {versions.isPending ? 'Loading…' : 'Not published yet: Publish makes the draft version 1.'}
                </p>
              ))}
          </div>
          {stats.data && (
            <p className="text-xs text-slate-500" data-testid="run-totals">
              {`v${stats.data.version ?? '—'}: ${stats.data.runs.active} active · ${stats.data.runs.completed} completed · ${stats.data.runs.stopped} stopped · ${stats.data.runs.failed} failed`}
            </p>
          )}
        </aside>
      </div>
    </div>
  );
}
