import type { JobState } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Select } from '../../components/ui.tsx';

const STATES: { value: JobState; label: string }[] = [
  { value: 'failed', label: 'Failed' },
  { value: 'retry', label: 'Waiting to retry' },
  { value: 'active', label: 'Running' },
  { value: 'created', label: 'Queued' },
  { value: 'completed', label: 'Completed' },
];

function errorOf(output: unknown): string {
  if (output && typeof output === 'object' && 'message' in output)
    return String((output as { message: unknown }).message);
  return output ? JSON.stringify(output).slice(0, 300) : '';
}

export function JobsPage() {
  const qc = useQueryClient();
  const [state, setState] = useState<JobState>('failed');
  const jobs = useQuery({ queryKey: ['jobs', state], queryFn: () => api.jobs.list({ state }) });
  const retry = useMutation({
    mutationFn: (j: { queue: string; id: string }) => api.jobs.retry(j.queue, j.id),
    onSettled: () => qc.invalidateQueries({ queryKey: ['jobs'] }),
  });
  return (
    <div className="max-w-5xl space-y-6">
      <Card
        title="Background jobs"
        description="Work that runs outside your requests: imports, campaign batches, syncs. A job is retried with backoff; one that keeps failing stops here, and you can run it again once the cause is fixed."
      >
        <div className="mb-4 flex items-center gap-2">
          <label htmlFor="job-state" className="text-sm text-slate-700">
            Show
          </label>
          <Select
            id="job-state"
            className="w-48"
            value={state}
            onChange={(e) => setState(e.target.value as JobState)}
          >
            {STATES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </Select>
        </div>
        {jobs.error && <Alert>{errorMessage(jobs.error)}</Alert>}
        {retry.error && <Alert>{errorMessage(retry.error)}</Alert>}
        {jobs.data && jobs.data.data.length === 0 && (
          <p className="py-6 text-center text-sm text-slate-500">
            {state === 'failed'
              ? 'No failed jobs: everything that ran has succeeded or is still retrying.'
              : 'No jobs in this state.'}
          </p>
        )}
        {jobs.data && jobs.data.data.length > 0 && (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs text-slate-500 uppercase">
                <tr>
                  <th className="py-2 pr-3">Job</th>
                  <th className="py-2 pr-3">Created</th>
                  <th className="py-2 pr-3">Attempts</th>
                  <th className="py-2 pr-3">Error</th>
                  <th className="py-2" />
                </tr>
              </thead>
              <tbody>
                {jobs.data.data.map((j) => (
                  <tr key={j.id} className="border-t border-slate-100 align-top">
                    <td className="py-2 pr-3 font-mono text-xs">{j.queue}</td>
                    <td className="py-2 pr-3 whitespace-nowrap">{new Date(j.created_at).toLocaleString()}</td>
                    <td className="py-2 pr-3">
                      {j.retry_count + 1} / {j.retry_limit + 1}
                    </td>
                    <td className="py-2 pr-3 text-red-800">{errorOf(j.output)}</td>
                    <td className="py-2 text-right">
                      {j.state === 'failed' && (
                        <Button
                          variant="secondary"
                          onClick={() => retry.mutate(j)}
                          disabled={retry.isPending}
                        >
                          Retry
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
