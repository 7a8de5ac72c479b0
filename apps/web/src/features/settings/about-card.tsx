import { errorMessage } from '../../api.ts';
import { Card } from '../../components/ui.tsx';
import { useAppVersion } from '../shell/app-version.tsx';

/** What this server runs, for a bug report or a question to Meta: versions and the API reference. */
export function AboutCard() {
  const version = useAppVersion();
  const v = version.data;
  return (
    <Card title="About">
      {version.error ? (
        <p className="text-sm text-red-700">{errorMessage(version.error)}</p>
      ) : !v ? (
        <p className="text-sm text-slate-500" role="status">
          Loading…
        </p>
      ) : (
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm" aria-label="About openwaba">
          <dt className="text-slate-600">openwaba version</dt>
          <dd className="font-mono text-slate-900">{v.version}</dd>
          <dt className="text-slate-600">Commit</dt>
          <dd className="font-mono text-slate-900">{v.commit ?? 'unknown (installed without git)'}</dd>
          <dt className="text-slate-600">Graph API version</dt>
          <dd className="text-slate-900">
            <span className="font-mono">{v.graph_api_version}</span>{' '}
            <span className="text-slate-500">(every call to Meta; set by META_GRAPH_VERSION)</span>
          </dd>
          <dt className="text-slate-600">API reference</dt>
          <dd>
            <a
              className="text-brand-700 underline hover:text-brand-800"
              href="/docs"
              target="_blank"
              rel="noreferrer"
            >
              /docs
            </a>
          </dd>
        </dl>
      )}
    </Card>
  );
}
