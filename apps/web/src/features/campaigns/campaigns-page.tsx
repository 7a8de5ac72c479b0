import type { Campaign } from '@openwaba/contracts';
import type { ReactNode } from 'react';
import { useLocation } from 'react-router';
import { errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { type Column, RowLink, Table } from '../../components/table.tsx';
import { Alert, Badge, ButtonLink, EmptyState, PageHeader } from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { n, STATE_TONE, stateLabel, useCampaignRights, useCampaigns, when } from './queries.ts';

export function CampaignsPage() {
  const list = useCampaigns();
  const { canManage } = useCampaignRights();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const campaigns = list.data?.data ?? [];
  return (
    <>
      <PageHeader title="Campaigns">
        {canManage && <ButtonLink to="/campaigns/new">New campaign</ButtonLink>}
      </PageHeader>
      <div className="mb-4 space-y-2">
        {notice && <Alert kind="success">{notice}</Alert>}
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
      </div>
      <CampaignTable
        campaigns={campaigns}
        status={list.status}
        empty={
          <EmptyState
            title="No campaigns yet"
            icon={<Icon name="campaigns" className="mx-auto h-10 w-10 text-brand-600" />}
          >
            <p>
              Send approved templates to opted-in contacts at full speed, with live progress and reports.{' '}
              {canManage ? 'Press “New campaign” to start one.' : 'A manager can create one.'}
            </p>
          </EmptyState>
        }
      />
    </>
  );
}

function CampaignTable({
  campaigns,
  status,
  empty,
}: {
  campaigns: Campaign[];
  status: 'pending' | 'error' | 'success';
  empty: ReactNode;
}) {
  const numbers = useNumbers();
  const numberName = (id: string) => numbers.data?.data.find((x) => x.id === id)?.display_name ?? '—';
  const columns: Column<Campaign>[] = [
    {
      header: 'Name',
      cell: (c) => (
        <>
          <RowLink to={`/campaigns/${c.id}`}>{c.name}</RowLink>
          <p className="mt-0.5 text-xs text-slate-500">
            {c.templates.map((t) => t.name).join(', ')}
            {c.state === 'scheduled' && c.scheduled_at ? ` · starts ${when(c.scheduled_at)}` : ''}
          </p>
        </>
      ),
    },
    { header: 'State', cell: (c) => <Badge tone={STATE_TONE[c.state]}>{stateLabel(c.state)}</Badge> },
    { header: 'Number', from: 'md', className: 'text-slate-700', cell: (c) => numberName(c.number_id) },
    {
      header: 'Sent',
      align: 'right',
      className: 'tabular-nums',
      cell: (c) => (
        <span data-testid="sent-of-total">
          {n(c.counts.sent)} / {n(c.counts.total)}
        </span>
      ),
    },
    {
      header: 'Delivered',
      from: 'sm',
      align: 'right',
      className: 'tabular-nums',
      cell: (c) => n(c.counts.delivered),
    },
    { header: 'Read', from: 'sm', align: 'right', className: 'tabular-nums', cell: (c) => n(c.counts.read) },
    {
      header: 'Failed',
      from: 'sm',
      align: 'right',
      className: (c) => (c.counts.failed ? 'tabular-nums text-red-700' : 'tabular-nums'),
      cell: (c) => n(c.counts.failed),
    },
    { header: 'Created', from: 'lg', className: 'text-slate-600', cell: (c) => when(c.created_at) },
  ];
  return (
    <Table
      caption="Campaigns"
      look="card"
      density="roomy"
      columns={columns}
      rows={campaigns}
      rowKey={(c) => c.id}
      rowProps={(c) => ({ 'data-campaign': c.name })}
      status={status}
      loadingText="Loading campaigns…"
      empty={empty}
    />
  );
}
