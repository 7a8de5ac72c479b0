import type { Campaign, Template } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, errorMessage } from '../../../api.ts';
import { Alert, Button, Card } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { useSegments, useTags } from '../../contacts/queries.ts';
import { useNumbers } from '../../numbers/use-numbers.ts';
import { templateKeys } from '../../templates/keys.ts';
import { campaignKeys } from '../keys.ts';
import { n } from '../queries.ts';
import { StartPanel } from '../start-panel.tsx';
import type { CreateBody } from './draft.ts';

/** Step 4: what will be created; creating the draft checks every recipient, then it is started. */
export function ReviewStep({
  body,
  fileSummary,
  onBack,
  onDiscarded,
}: {
  body: CreateBody;
  /** “1,204 rows of list.csv” for a file audience. */
  fileSummary?: string | undefined;
  onBack: () => void;
  /** The draft was deleted to edit it again. */
  onDiscarded: () => void;
}) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const numbers = useNumbers();
  const tags = useTags();
  const segments = useSegments();
  const [draft, setDraft] = useState<Campaign | null>(null);
  const create = useMutation({
    mutationFn: () => api.campaigns.create(body),
    onSuccess: (c) => {
      setDraft(c);
      void qc.invalidateQueries({ queryKey: campaignKeys.list });
    },
  });
  const discard = useMutation({
    mutationFn: (id: string) => api.campaigns.remove(id),
    onSuccess: () => {
      setDraft(null);
      void qc.invalidateQueries({ queryKey: campaignKeys.list });
      onDiscarded();
    },
  });
  const number = numbers.data?.data.find((x) => x.id === body.number_id);
  const a = body.audience;
  const audienceWords =
    a.kind === 'recipients'
      ? `${a.recipients.length.toLocaleString()} pasted phone${a.recipients.length === 1 ? '' : 's'}`
      : a.kind === 'file'
        ? `${fileSummary ?? 'the uploaded file'}, phones in the column “${a.phone_column}”`
        : [
            a.filter?.tag_ids?.length
              ? `contacts tagged ${a.filter.tag_ids
                  .map((id) => `“${tags.data?.data.find((t) => t.id === id)?.name ?? id}”`)
                  .join(a.filter.tag_match === 'all' ? ' and ' : ' or ')}`
              : 'every contact',
            a.segment_id
              ? `in the segment “${segments.data?.data.find((s) => s.id === a.segment_id)?.name ?? a.segment_id}”`
              : '',
          ]
            .filter(Boolean)
            .join(' ');

  return (
    <Card
      title="Review"
      description="Creating the draft fixes the audience: every recipient is checked and its message rendered. Nothing is sent until you start it."
    >
      <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-xs text-slate-500">Name</dt>
          <dd className="text-slate-900">{body.name}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Number</dt>
          <dd className="text-slate-900">{number?.display_name ?? body.number_id}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Audience</dt>
          <dd className="text-slate-900">{audienceWords}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Templates</dt>
          <dd className="text-slate-900">
            <TemplateNames
              ids={body.templates.map((t) => t.template_id)}
              shares={body.templates.map((t) => t.share)}
            />
            {body.templates.length > 1 && (body.split === 'ab' ? ' (A/B split)' : ' (sequential split)')}
          </dd>
        </div>
        {body.marketing_ttl_seconds != null && (
          <div>
            <dt className="text-xs text-slate-500">Marketing time-to-live</dt>
            <dd className="text-slate-900">{body.marketing_ttl_seconds / 3600} hours</dd>
          </div>
        )}
        {body.spend_cap != null && (
          <div>
            <dt className="text-xs text-slate-500">Spend cap</dt>
            <dd className="text-slate-900">{body.spend_cap}</dd>
          </div>
        )}
      </dl>

      {create.error && (
        <div className="mt-4">
          <Alert>The draft was not created: {errorMessage(create.error)}</Alert>
        </div>
      )}
      {!draft && (
        <StepFooter>
          <Button variant="secondary" onClick={onBack} disabled={create.isPending}>
            Back
          </Button>
          <Button onClick={() => create.mutate()} disabled={create.isPending}>
            {create.isPending ? 'Checking every recipient…' : 'Create draft'}
          </Button>
        </StepFooter>
      )}
      {draft && (
        <div className="mt-5 space-y-4">
          <DraftSummary draft={draft} />
          <StartPanel draft={draft} onStarted={(c) => navigate(`/campaigns/${c.id}`)} />
          <div className="flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 pt-4">
            <Button
              variant="secondary"
              disabled={discard.isPending}
              onClick={() => discard.mutate(draft.id)}
              title={
                body.audience.kind === 'file'
                  ? 'Deletes this draft and goes back to the audience: upload the file again'
                  : 'Deletes this draft and goes back to the templates'
              }
            >
              {discard.isPending ? 'Deleting…' : 'Delete draft and edit'}
            </Button>
            <Link to={`/campaigns/${draft.id}`} className="text-sm text-brand-700 underline">
              Keep it as a draft
            </Link>
          </div>
          {discard.error && <Alert>{errorMessage(discard.error)}</Alert>}
        </div>
      )}
    </Card>
  );
}

function TemplateNames({ ids, shares }: { ids: string[]; shares: (number | undefined)[] }) {
  const qc = useQueryClient();
  const all = qc
    .getQueriesData<{ data: Template[] }>({ queryKey: templateKeys.lists })
    .flatMap(([, d]) => d?.data ?? []);
  return (
    <>
      {ids
        .map((id, i) => {
          const t = all.find((x) => x.id === id);
          return `${t ? t.name : id}${shares[i] !== undefined ? ` ${shares[i]}%` : ''}`;
        })
        .join(', ')}
    </>
  );
}

function DraftSummary({ draft }: { draft: Campaign }) {
  const invalid = useQuery({
    queryKey: campaignKeys.invalidRecipients(draft.id),
    queryFn: () => api.campaigns.recipients(draft.id, { state: 'invalid', limit: 50 }),
    enabled: draft.counts.invalid > 0,
  });
  const c = draft.counts;
  return (
    <div className="space-y-3" data-testid="draft-summary">
      <Alert kind="success">Draft “{draft.name}” created.</Alert>
      <dl className="grid grid-cols-3 gap-3" aria-label="Draft counts">
        {(
          [
            ['Recipients', c.total],
            ['Ready', c.total - c.invalid],
            ['Invalid', c.invalid],
          ] as const
        ).map(([label, v]) => (
          <div key={label} className="rounded-md border border-slate-200 bg-white px-3 py-2">
            <dt className="text-xs uppercase text-slate-500">{label}</dt>
            <dd className="text-lg font-semibold text-slate-900 tabular-nums">{n(v)}</dd>
          </div>
        ))}
      </dl>
      <p className="text-xs text-slate-500">
        Consent is checked when it starts: recipients without an opt-in are skipped then, with the reason.
      </p>
      {c.invalid > 0 && (
        <div>
          <h3 className="text-sm font-medium text-slate-800">
            {n(c.invalid)} invalid {draft.audience.kind === 'file' ? 'row' : 'recipient'}
            {c.invalid === 1 ? '' : 's'} skipped, and why
          </h3>
          {invalid.error && <Alert>{errorMessage(invalid.error)}</Alert>}
          <ul className="mt-1 max-h-56 space-y-1 overflow-y-auto text-sm" aria-label="Invalid recipients">
            {invalid.data?.data.map((r) => (
              <li key={r.id} className="flex flex-wrap gap-x-2">
                {draft.audience.kind === 'file' && <span className="text-slate-500">Row {r.row_number}</span>}
                <span className="font-mono text-slate-800">{r.phone ?? r.input}</span>
                <span className="text-red-700">{r.reason ?? 'invalid'}</span>
              </li>
            ))}
          </ul>
          {invalid.data && c.invalid > invalid.data.data.length && (
            <p className="text-xs text-slate-500">
              The first {invalid.data.data.length} of {n(c.invalid)}; the campaign's page lists them all.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
