import { ApiError } from '@openwaba/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Icon } from '../../components/icons.tsx';
import { Alert, BackLink, Badge, Button, Card, ConfirmPanel } from '../../components/ui.tsx';
import { ContactPreview } from './contact-preview.tsx';
import { templateKeys } from './keys.ts';
import { statusTone, useTemplate, useTemplateHistory, useTemplateRights, words } from './queries.ts';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export function TemplatePage() {
  const { id = '' } = useParams();
  const template = useTemplate(id);
  const history = useTemplateHistory(id);
  const { canManage } = useTemplateRights();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: templateKeys.all });
  const release = useMutation({ mutationFn: () => api.templates.unquarantine(id), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: () => api.templates.remove(id),
    onSuccess: async () => {
      await refresh();
      const t = template.data;
      navigate('/templates', {
        state: { notice: `Deleted ${t?.name} (${t?.language}) at Meta; it stays listed as inactive.` },
      });
    },
  });

  if (template.error) {
    return (
      <div className="space-y-3">
        <BackLink to="/templates">Templates</BackLink>
        <Alert>{errorMessage(template.error)}</Alert>
      </div>
    );
  }
  const t = template.data;
  if (!t) return <p className="text-sm text-slate-500">Loading template…</p>;

  return (
    <div className="space-y-5">
      <div>
        <BackLink to="/templates">Templates</BackLink>
        <div className="mt-2 flex flex-wrap items-center gap-2">
          <h1 className="text-xl font-semibold text-slate-900">{t.name}</h1>
          <span className="text-sm text-slate-500">{t.language}</span>
          <Badge tone={statusTone(t)}>{words(t.status)}</Badge>
          <Badge tone="slate">{words(t.category)}</Badge>
          {!t.active && <Badge tone="slate">Inactive</Badge>}
          {t.quarantined && (
            <Badge tone="red" className="font-semibold">
              <Icon name="alert" className="h-3.5 w-3.5" />
              Quarantined
            </Badge>
          )}
          {t.usable_in_campaigns && <Badge tone="green">Usable in campaigns</Badge>}
          {canManage && t.active && (
            <Button variant="danger" className="ml-auto" onClick={() => setConfirmDelete(true)}>
              Delete
            </Button>
          )}
        </div>
      </div>

      {confirmDelete && (
        <ConfirmPanel
          id="delete-title"
          title={`Delete ${t.name} (${t.language}) at Meta?`}
          confirmLabel="Delete at Meta"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : undefined}
          onConfirm={() => remove.mutate()}
          onCancel={() => setConfirmDelete(false)}
        >
          Meta removes it from your WhatsApp account and it can no longer be sent; the name cannot be reused
          for 30 days. It stays listed here as inactive, with its history.
        </ConfirmPanel>
      )}

      {t.quarantined && (
        <section
          aria-label="Quarantine"
          className="rounded-lg border-2 border-red-300 bg-red-50 p-4 text-sm text-red-900"
          data-testid="quarantine"
        >
          <h2 className="flex items-center gap-2 font-semibold">
            <Icon name="alert" className="h-5 w-5" />
            Quarantined: kept out of campaigns
          </h2>
          <p className="mt-1">{t.quarantine_reason ?? 'Its category changed.'}</p>
          <p className="mt-1 text-red-800/80">
            Since {when(t.quarantined_at)}. Scheduled campaigns using it are blocked and running ones pause
            until it is released. Check the message still fits its category before releasing it.
          </p>
          {canManage ? (
            <div className="mt-3 space-y-2">
              <Button
                variant="secondary"
                disabledReason={release.isPending && 'Releasing…'}
                onClick={() => release.mutate()}
              >
                {release.isPending ? 'Releasing…' : 'Release from quarantine'}
              </Button>
              {release.error && (
                <Alert>
                  Not released: {errorMessage(release.error)}
                  {release.error instanceof ApiError && release.error.status === 409 && (
                    <>
                      {' '}
                      <Link to="/settings/organisation" className="font-medium underline">
                        Open the campaign policy
                      </Link>
                    </>
                  )}
                </Alert>
              )}
            </div>
          ) : (
            <p className="mt-2 text-red-800/80">A manager or admin can release it.</p>
          )}
        </section>
      )}
      {release.isSuccess && !t.quarantined && (
        <Alert kind="success">Released: campaigns can use it again.</Alert>
      )}
      {t.rejected_reason && t.rejected_reason !== 'NONE' && (
        <Alert>Meta rejected it: {words(t.rejected_reason)}</Alert>
      )}

      <div className="grid gap-5 lg:grid-cols-[3fr_2fr]">
        <ContactPreview template={t} />
        <div className="space-y-5">
          <Card
            title="Category history"
            description="Every category change Meta made, and how we learnt of it."
          >
            {history.data?.data.length ? (
              <ol className="space-y-2 text-sm" aria-label="Category history">
                {history.data.data.map((h) => (
                  <li
                    key={`${h.created_at}-${h.to_category}`}
                    className="flex flex-wrap items-baseline gap-x-2"
                  >
                    <span className="font-medium text-slate-900">
                      {h.from_category ? `${words(h.from_category)} → ` : ''}
                      {words(h.to_category)}
                    </span>
                    <span className="text-slate-600">
                      {h.source === 'announcement'
                        ? `announced by Meta${h.effective_at ? `, effective ${when(h.effective_at)}` : ''}`
                        : h.source === 'webhook'
                          ? 'reported by Meta’s webhook'
                          : 'found by a sync'}
                    </span>
                    <time className="text-xs text-slate-500" dateTime={h.created_at}>
                      {when(h.created_at)}
                    </time>
                  </li>
                ))}
              </ol>
            ) : (
              <p className="text-sm text-slate-600">
                {history.isPending
                  ? 'Loading…'
                  : `No category change: it has been ${words(t.category)} since it was synced.`}
              </p>
            )}
          </Card>
          <Card title="Details">
            <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm">
              {[
                ['Quality', words(t.quality_score)],
                ['Variables', t.parameter_format === 'NAMED' ? 'Named' : 'Numbered'],
                ['Meta template id', t.meta_id],
                ['WhatsApp Business Account', t.waba_id],
                ['Last synced', when(t.last_synced_at)],
                ['Usable in campaigns', t.usable_in_campaigns ? 'Yes' : 'No'],
              ].map(([label, value]) => (
                <div key={label}>
                  <dt className="text-xs text-slate-500">{label}</dt>
                  <dd className="break-all text-slate-800">{value}</dd>
                </div>
              ))}
            </dl>
          </Card>
        </div>
      </div>
    </div>
  );
}
