import type { JobState } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { FilterBar, FilterSelect } from '../../components/filters.tsx';
import { Table } from '../../components/table.tsx';
import { Alert, Button, Card } from '../../components/ui.tsx';
import { jobKeys } from './keys.ts';

const STATES: [JobState, string][] = [
  ['failed', 'Failed'],
  ['retry', 'Waiting to retry'],
  ['active', 'Running'],
  ['created', 'Queued'],
  ['completed', 'Completed'],
];

function errorOf(output: unknown): string {
  if (output && typeof output === 'object' && 'message' in output)
    return String((output as { message: unknown }).message);
  return output ? JSON.stringify(output).slice(0, 300) : '';
}

export function JobsPage() {
  const qc = useQueryClient();
  const [state, setState] = useState<JobState>('failed');
  const jobs = useQuery({ queryKey: jobKeys.list(state), queryFn: () => api.jobs.list({ state }) });
  const retry = useMutation({
    mutationFn: (j: { queue: string; id: string }) => api.jobs.retry(j.queue, j.id),
    onSettled: () => qc.invalidateQueries({ queryKey: jobKeys.all }),
  });
  return (
    <div className="max-w-5xl space-y-6">
      <Card
        title="Background jobs"
        description="Work that runs outside your requests: imports, campaign batches, syncs. A job is retried with backoff; one that keeps failing stops here, and you can run it again once the cause is fixed."
      >
        <FilterBar boxed={false}>
          <FilterSelect
            label="Show"
            labelPlacement="inline"
            className="w-48"
            value={state}
            options={STATES}
            onChange={setState}
          />
        </FilterBar>
        {jobs.error && <Alert>{errorMessage(jobs.error)}</Alert>}
        {retry.error && <Alert>{errorMessage(retry.error)}</Alert>}
        <Table
          caption="Jobs"
          columns={[
            { header: 'Job', className: 'font-mono text-xs', cell: (j) => j.queue },
            {
              header: 'Created',
              className: 'whitespace-nowrap',
              cell: (j) => new Date(j.created_at).toLocaleString(),
            },
            { header: 'Attempts', cell: (j) => `${j.retry_count + 1} / ${j.retry_limit + 1}` },
            { header: 'Error', className: 'text-red-800', cell: (j) => errorOf(j.output) },
            {
              header: 'Actions',
              headerHidden: true,
              className: 'text-right',
              cell: (j) =>
                j.state === 'failed' && (
                  <Button
                    variant="secondary"
                    onClick={() => retry.mutate(j)}
                    disabledReason={retry.isPending && 'A retry is being queued'}
                  >
                    Retry
                  </Button>
                ),
            },
          ]}
          rows={jobs.data?.data ?? []}
          rowKey={(j) => j.id}
          status={jobs.status}
          empty={
            state === 'failed'
              ? 'No failed jobs: everything that ran has succeeded or is still retrying.'
              : 'No jobs in this state.'
          }
        />
      </Card>
    </div>
  );
}
