import type { Campaign } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, BackLink, Badge, Button, Card, ConfirmPanel } from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { Preflight, Progress } from './campaign-progress.tsx';
import { Recipients } from './campaign-recipients.tsx';
import { Report } from './campaign-report.tsx';
import { campaignKeys } from './keys.ts';
import { STATE_TONE, stateLabel, useCampaign, useCampaignRights, when } from './queries.ts';
import { StartPanel } from './start-panel.tsx';
import { inZone, useOrgTimezone } from './time.ts';

export function CampaignPage() {
  const { id = '' } = useParams();
  const campaign = useCampaign(id);
  const [tab, setTab] = useState<'progress' | 'report'>('progress');
  if (campaign.error) {
    return (
      <div className="space-y-3">
        <BackLink to="/campaigns">Campaigns</BackLink>
        <Alert>{errorMessage(campaign.error)}</Alert>
      </div>
    );
  }
  const c = campaign.data;
  if (!c) return <p className="text-sm text-slate-500">Loading campaign…</p>;
  const tabs = [
    ['progress', 'Progress and recipients'],
    ['report', 'Report'],
  ] as const;
  return (
    <div className="space-y-5">
      <Header campaign={c} />
      <div role="tablist" aria-label="Campaign views" className="flex gap-1 border-b border-slate-200">
        {tabs.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            id={`tab-${key}`}
            aria-selected={tab === key}
            aria-controls={`panel-${key}`}
            onClick={() => setTab(key)}
            className={`-mb-px border-b-2 px-3 py-2 text-sm ${
              tab === key
                ? 'border-brand-600 font-semibold text-brand-800'
                : 'border-transparent text-slate-600 hover:text-slate-900'
            }`}
          >
            {label}
          </button>
        ))}
      </div>
      {tab === 'progress' ? (
        <div role="tabpanel" id="panel-progress" aria-labelledby="tab-progress" className="space-y-5">
          <Progress campaign={c} />
          {c.preflight && <Preflight campaign={c} />}
          <Recipients campaign={c} />
        </div>
      ) : (
        <div role="tabpanel" id="panel-report" aria-labelledby="tab-report">
          <Report campaign={c} />
        </div>
      )}
    </div>
  );
}

function Header({ campaign: c }: { campaign: Campaign }) {
  const { canManage } = useCampaignRights();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const numbers = useNumbers();
  const tz = useOrgTimezone();
  const [confirmStop, setConfirmStop] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const apply = (next: Campaign) => {
    qc.setQueryData(campaignKeys.one(next.id), next);
    void qc.invalidateQueries({ queryKey: campaignKeys.list });
    void qc.invalidateQueries({ queryKey: campaignKeys.recipients(next.id) });
    void qc.invalidateQueries({ queryKey: campaignKeys.report(next.id) });
  };
  const action = useMutation({
    mutationFn: (verb: 'pause' | 'resume' | 'stop') => api.campaigns[verb](c.id),
    onSuccess: (next) => {
      setConfirmStop(false);
      apply(next);
    },
  });
  const remove = useMutation({
    mutationFn: () => api.campaigns.remove(c.id),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: campaignKeys.list });
      navigate('/campaigns', { state: { notice: `Deleted the campaign “${c.name}”.` } });
    },
  });
  const number = numbers.data?.data.find((x) => x.id === c.number_id);
  const busy = action.isPending;
  return (
    <div className="space-y-3">
      <BackLink to="/campaigns">Campaigns</BackLink>
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="text-xl font-semibold text-slate-900">{c.name}</h1>
        <Badge tone={STATE_TONE[c.state]}>
          <span data-testid="campaign-state">{stateLabel(c.state)}</span>
        </Badge>
        {canManage && (
          <div className="ml-auto flex flex-wrap gap-2">
            {c.state === 'running' && (
              <Button variant="secondary" disabled={busy} onClick={() => action.mutate('pause')}>
                Pause
              </Button>
            )}
            {c.state === 'paused' && (
              <Button disabled={busy} onClick={() => action.mutate('resume')}>
                Resume
              </Button>
            )}
            {['running', 'paused', 'scheduled'].includes(c.state) && (
              <Button variant="danger" disabled={busy} onClick={() => setConfirmStop(true)}>
                Stop
              </Button>
            )}
            {!['running', 'paused'].includes(c.state) && (
              <Button variant="ghost" onClick={() => setConfirmDelete(true)}>
                Delete
              </Button>
            )}
          </div>
        )}
      </div>
      <p className="text-sm text-slate-600">
        From {number?.display_name ?? '—'} · {c.templates.map((t) => `${t.name} (${t.language})`).join(', ')}
        {c.templates.length > 1 && (c.split === 'ab' ? ' · A/B split' : ' · sequential split')} · created{' '}
        {when(c.created_at)}
        {c.state === 'scheduled' && c.scheduled_at && <> · starts {inZone(c.scheduled_at, tz)}</>}
        {c.started_at && <> · started {when(c.started_at)}</>}
        {c.finished_at && <> · ended {when(c.finished_at)}</>}
      </p>
      {action.error && <Alert>{errorMessage(action.error)}</Alert>}
      {confirmStop && (
        <ConfirmPanel
          id="stop-title"
          title={`Stop “${c.name}”?`}
          confirmLabel="Stop the campaign"
          busyLabel="Stopping…"
          busy={busy}
          onConfirm={() => action.mutate('stop')}
          onCancel={() => setConfirmStop(false)}
        >
          Every recipient not sent yet is skipped. A stopped campaign cannot be resumed.
        </ConfirmPanel>
      )}
      {confirmDelete && (
        <ConfirmPanel
          id="delete-title"
          title={`Delete “${c.name}”?`}
          confirmLabel="Delete the campaign"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : undefined}
          onConfirm={() => remove.mutate()}
          onCancel={() => setConfirmDelete(false)}
        >
          Its recipients and report are deleted too.
        </ConfirmPanel>
      )}
      {c.state === 'paused' && (
        <Alert kind="info">Paused{c.paused_reason ? `: ${c.paused_reason}` : ' by a person.'}</Alert>
      )}
      {c.state === 'failed' && <Alert>Failed: {c.failure_reason ?? 'the pre-flight found problems.'}</Alert>}
      {c.state === 'draft' && canManage && (
        <Card title="Ready to go" description="A draft: nothing is sent until you start or schedule it.">
          <StartPanel draft={c} onStarted={() => undefined} />
        </Card>
      )}
    </div>
  );
}
