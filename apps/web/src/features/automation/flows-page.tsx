import type { FlowSummary, TRIGGER_KINDS } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { RelativeTime } from '../../components/relative-time.tsx';
import { RowLink, Table } from '../../components/table.tsx';
import { Alert, Badge, Button, Card } from '../../components/ui.tsx';
import { TextField } from './action-forms.tsx';
import { automationKeys } from './keys.ts';
import { problemsOf } from './problems.ts';
import { useAutomationRights, useFlows } from './queries.ts';

export const TRIGGER_LABELS: Record<(typeof TRIGGER_KINDS)[number], string> = {
  keyword: 'Keyword',
  first_message: 'First message',
  button_reply: 'Button reply',
  campaign_reply: 'Campaign reply',
  api: 'API call',
};

/** A new flow starts with its trigger, so the canvas is never empty. */
const STARTER = {
  nodes: [
    {
      id: 'trigger',
      type: 'trigger' as const,
      position: { x: 40, y: 120 },
      data: {
        kind: 'keyword' as const,
        match: { kind: 'equals' as const, patterns: ['start'] },
        number_ids: null,
      },
    },
  ],
  edges: [],
};

/** Saves a flow's portable JSON as a file named after it. */
export async function downloadFlow(id: string) {
  const json = await api.automation.flows.export(id);
  const blob = new Blob([`${JSON.stringify(json, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${json.name.replace(/[^\w.-]+/g, '-').toLowerCase() || 'flow'}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Automation → Flows: the list, a new flow, import and export as JSON. */
export function FlowsPage() {
  const { canManage } = useAutomationRights();
  const list = useFlows();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [creating, setCreating] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  const create = useMutation({
    mutationFn: () => api.automation.flows.create({ name, graph: STARTER }),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: automationKeys.flows });
      navigate(`/automation/flows/${f.id}`);
    },
  });
  const importFlow = useMutation({
    mutationFn: async (file: File) => {
      let json: unknown;
      try {
        json = JSON.parse(await file.text());
      } catch {
        throw new Error(`${file.name} is not JSON`);
      }
      return api.automation.flows.import(json);
    },
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: automationKeys.flows });
      navigate(`/automation/flows/${f.id}`);
    },
  });
  const toggle = useMutation({
    mutationFn: (f: FlowSummary) => api.automation.flows.update(f.id, { enabled: !f.enabled }),
    onSuccess: () => qc.invalidateQueries({ queryKey: automationKeys.flows }),
  });
  const exportFlow = useMutation({ mutationFn: downloadFlow });
  const importProblems = Object.entries(problemsOf(importFlow.error));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <div className="space-y-6">
      <Card
        title="Flows"
        description="Guided conversations: menus, questions, branches and hand-over to a person, drawn on a canvas. Publish a flow to let its trigger start it."
      >
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
        <Table
          caption="Flows"
          look="inset"
          rows={list.data?.data ?? []}
          rowKey={(f) => f.id}
          status={list.status}
          loadingText="Loading flows…"
          empty="No flows yet."
          columns={[
            {
              header: 'Name',
              cell: (f) => (
                <>
                  <RowLink to={`/automation/flows/${f.id}`}>{f.name}</RowLink>
                  {f.description && <p className="text-xs text-slate-500">{f.description}</p>}
                </>
              ),
            },
            { header: 'Trigger', cell: (f) => (f.trigger ? TRIGGER_LABELS[f.trigger] : '—') },
            {
              header: 'Published',
              cell: (f) =>
                f.published_version === null ? (
                  <Badge tone="slate">Draft only</Badge>
                ) : (
                  <span>
                    v{f.published_version}
                    {f.published_at && (
                      <span className="text-xs text-slate-500">
                        {' '}
                        · <RelativeTime iso={f.published_at} />
                      </span>
                    )}
                    {f.draft_changed && (
                      <>
                        {' '}
                        <Badge tone="amber">Draft changed</Badge>
                      </>
                    )}
                  </span>
                ),
            },
            { header: 'Active runs', align: 'right', cell: (f) => f.active_runs.toLocaleString() },
            {
              header: 'Enabled',
              cell: (f) => (
                <input
                  type="checkbox"
                  role="switch"
                  aria-checked={f.enabled}
                  aria-label={`Enabled: ${f.name}`}
                  checked={f.enabled}
                  disabled={!canManage || toggle.isPending}
                  onChange={() => toggle.mutate(f)}
                />
              ),
            },
            {
              header: 'Export',
              headerHidden: true,
              cell: (f) => (
                <Button
                  variant="ghost"
                  aria-label={`Export ${f.name}`}
                  disabledReason={exportFlow.isPending && 'Exporting…'}
                  onClick={() => exportFlow.mutate(f.id)}
                >
                  Export
                </Button>
              ),
            },
          ]}
        />
        {toggle.error && <Alert>{errorMessage(toggle.error)}</Alert>}
        {exportFlow.error && <Alert>{errorMessage(exportFlow.error)}</Alert>}
        {canManage && (
          <div className="mt-4 flex flex-wrap items-end gap-3 border-t border-slate-100 pt-4">
            {creating ? (
              <form aria-label="New flow" onSubmit={submit} className="flex flex-wrap items-end gap-2">
                <TextField
                  label="Flow name"
                  value={name}
                  error={problemsOf(create.error).name}
                  onChange={setName}
                />
                <Button
                  type="submit"
                  disabledReason={(create.isPending && 'Creating…') || (!name.trim() && 'Name it first')}
                >
                  Create flow
                </Button>
                <Button variant="secondary" onClick={() => setCreating(false)}>
                  Cancel
                </Button>
              </form>
            ) : (
              <Button onClick={() => setCreating(true)}>New flow</Button>
            )}
            <div>
              <label htmlFor="flow-import" className="sr-only">
                Import a flow from a JSON file
              </label>
              <input
                id="flow-import"
                ref={fileRef}
                type="file"
                accept="application/json,.json"
                className="hidden"
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  if (f) importFlow.mutate(f);
                  e.target.value = '';
                }}
              />
              <Button
                variant="secondary"
                disabledReason={importFlow.isPending && 'Importing…'}
                onClick={() => fileRef.current?.click()}
              >
                Import JSON
              </Button>
            </div>
          </div>
        )}
        {create.error && !problemsOf(create.error).name && <Alert>{errorMessage(create.error)}</Alert>}
        {importFlow.error && (
          <div className="mt-3">
            <Alert>
              <p>{errorMessage(importFlow.error)}</p>
              {importProblems.length > 0 && (
                <ul aria-label="Import problems" className="mt-1 list-disc pl-5">
                  {importProblems.map(([path, message]) => (
                    <li key={path}>
                      <code>{path}</code>: {message}
                    </li>
                  ))}
                </ul>
              )}
            </Alert>
          </div>
        )}
      </Card>
    </div>
  );
}
