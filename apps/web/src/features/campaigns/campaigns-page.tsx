import type { Campaign } from '@openwaba/contracts';
import { Link, useLocation } from 'react-router';
import { errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { Alert, Badge, EmptyState, PageHeader } from '../../components/ui.tsx';
import { useNumbers } from '../numbers/use-numbers.ts';
import { n, STATE_TONE, stateLabel, useCampaignRights, useCampaigns, when } from './queries.ts';

export const primaryLink =
  'inline-flex items-center rounded-md bg-brand-600 px-3 py-2 text-sm font-medium text-white hover:bg-brand-700';

export function CampaignsPage() {
  const list = useCampaigns();
  const { canManage } = useCampaignRights();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const campaigns = list.data?.data ?? [];
  return (
    <>
      <PageHeader title="Campaigns">
        {canManage && (
          <Link to="/campaigns/new" className={primaryLink}>
            New campaign
          </Link>
        )}
      </PageHeader>
      <div className="mb-4 space-y-2">
        {notice && <Alert kind="success">{notice}</Alert>}
        {list.error && <Alert>{errorMessage(list.error)}</Alert>}
      </div>
      {list.isPending && <p className="text-sm text-slate-500">Loading campaigns…</p>}
      {list.isSuccess && campaigns.length === 0 && (
        <EmptyState
          title="No campaigns yet"
          icon={<Icon name="campaigns" className="mx-auto h-10 w-10 text-brand-600" />}
        >
          <p>
            Send approved templates to opted-in contacts at full speed, with live progress and reports.{' '}
            {canManage ? 'Press “New campaign” to start one.' : 'A manager can create one.'}
          </p>
        </EmptyState>
      )}
      {campaigns.length > 0 && <CampaignTable campaigns={campaigns} />}
    </>
  );
}

function CampaignTable({ campaigns }: { campaigns: Campaign[] }) {
  const numbers = useNumbers();
  const numberName = (id: string) => numbers.data?.data.find((x) => x.id === id)?.display_name ?? '—';
  const th = 'px-4 py-2 font-medium';
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Campaigns</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className={th}>
              Name
            </th>
            <th scope="col" className={th}>
              State
            </th>
            <th scope="col" className={`hidden md:table-cell ${th}`}>
              Number
            </th>
            <th scope="col" className={`${th} text-right`}>
              Sent
            </th>
            <th scope="col" className={`hidden sm:table-cell ${th} text-right`}>
              Delivered
            </th>
            <th scope="col" className={`hidden sm:table-cell ${th} text-right`}>
              Read
            </th>
            <th scope="col" className={`hidden sm:table-cell ${th} text-right`}>
              Failed
            </th>
            <th scope="col" className={`hidden lg:table-cell ${th}`}>
              Created
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {campaigns.map((c) => (
            <tr key={c.id} data-campaign={c.name}>
              <td className="px-4 py-3 align-top">
                <Link
                  to={`/campaigns/${c.id}`}
                  className="font-medium text-slate-900 hover:text-brand-700 hover:underline"
                >
                  {c.name}
                </Link>
                <p className="mt-0.5 text-xs text-slate-500">
                  {c.templates.map((t) => t.name).join(', ')}
                  {c.state === 'scheduled' && c.scheduled_at ? ` · starts ${when(c.scheduled_at)}` : ''}
                </p>
              </td>
              <td className="px-4 py-3 align-top">
                <Badge tone={STATE_TONE[c.state]}>{stateLabel(c.state)}</Badge>
              </td>
              <td className="hidden px-4 py-3 align-top text-slate-700 md:table-cell">
                {numberName(c.number_id)}
              </td>
              <td className="px-4 py-3 text-right align-top tabular-nums" data-testid="sent-of-total">
                {n(c.counts.sent)} / {n(c.counts.total)}
              </td>
              <td className="hidden px-4 py-3 text-right align-top tabular-nums sm:table-cell">
                {n(c.counts.delivered)}
              </td>
              <td className="hidden px-4 py-3 text-right align-top tabular-nums sm:table-cell">
                {n(c.counts.read)}
              </td>
              <td
                className={`hidden px-4 py-3 text-right align-top tabular-nums sm:table-cell ${
                  c.counts.failed ? 'text-red-700' : ''
                }`}
              >
                {n(c.counts.failed)}
              </td>
              <td className="hidden px-4 py-3 align-top text-slate-600 lg:table-cell">
                {when(c.created_at)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
