import type { Campaign } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Field, Input } from '../../components/ui.tsx';
import { campaignKeys } from './keys.ts';
import { useOrgTimezone, zonedToIso } from './time.ts';

/** Start now, or at a time given in the organisation's timezone. */
export function StartPanel({ draft, onStarted }: { draft: Campaign; onStarted: (c: Campaign) => void }) {
  const qc = useQueryClient();
  const tz = useOrgTimezone();
  const [at, setAt] = useState('');
  const done = (c: Campaign) => {
    qc.setQueryData(campaignKeys.one(c.id), c);
    void qc.invalidateQueries({ queryKey: campaignKeys.all });
    onStarted(c);
  };
  const start = useMutation({ mutationFn: () => api.campaigns.start(draft.id), onSuccess: done });
  const schedule = useMutation({
    mutationFn: () => api.campaigns.schedule(draft.id, zonedToIso(at, tz)),
    onSuccess: done,
  });
  const busy = start.isPending || schedule.isPending;
  const sendable = draft.counts.total - draft.counts.invalid;
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <div className="rounded-md border border-slate-200 p-4">
        <h3 className="font-medium text-slate-900">Start now</h3>
        <p className="mt-1 text-sm text-slate-600">
          The pre-flight checks the number, the templates, consent and the daily budget, then sending begins.
        </p>
        <Button
          className="mt-3"
          disabled={busy}
          disabledReason={sendable === 0 && 'No recipient can be sent to: every phone is invalid'}
          onClick={() => start.mutate()}
        >
          {start.isPending ? 'Starting…' : 'Start now'}
        </Button>
        {start.error && (
          <div className="mt-2">
            <Alert>Not started: {errorMessage(start.error)}</Alert>
          </div>
        )}
      </div>
      <div className="rounded-md border border-slate-200 p-4">
        <h3 className="font-medium text-slate-900">Schedule</h3>
        <div className="mt-2">
          <Field label={`Start at (${tz})`} hint={`Time in the organisation's time zone, ${tz}.`}>
            {(id) => (
              <Input id={id} type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
            )}
          </Field>
        </div>
        <Button
          variant="secondary"
          className="mt-3"
          disabled={busy}
          disabledReason={
            sendable === 0
              ? 'No recipient can be sent to: every phone is invalid'
              : !at && 'Choose when to start'
          }
          onClick={() => schedule.mutate()}
        >
          {schedule.isPending ? 'Scheduling…' : 'Schedule'}
        </Button>
        {schedule.error && (
          <div className="mt-2">
            <Alert>Not scheduled: {errorMessage(schedule.error)}</Alert>
          </div>
        )}
      </div>
    </div>
  );
}
