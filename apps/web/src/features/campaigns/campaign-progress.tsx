import type { Campaign } from '@openwaba/contracts';
import type { ReactNode } from 'react';
import { tierName } from '../../components/meta-names.ts';
import { Alert, Card } from '../../components/ui.tsx';
import { duration, FINISHED, n, pct, sendable, when } from './queries.ts';

function Counter({
  label,
  value,
  tone,
  testId,
}: {
  label: string;
  value: ReactNode;
  tone?: string;
  testId: string;
}) {
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2">
      <dt className="text-xs uppercase text-slate-500">{label}</dt>
      <dd
        className={`mt-0.5 text-lg font-semibold tabular-nums ${tone ?? 'text-slate-900'}`}
        data-testid={testId}
      >
        {value}
      </dd>
    </div>
  );
}

/** The progress bar, rate, ETA and counters, moved live by realtime events. */
export function Progress({ campaign: c }: { campaign: Campaign }) {
  const k = c.counts;
  const target = sendable(c);
  const done = k.sent + k.failed;
  const p = FINISHED.includes(c.state) && c.state === 'completed' ? 100 : Math.min(100, pct(done, target));
  const running = c.state === 'running';
  const eta = running && c.rate && c.rate > 0 ? k.queued / c.rate : running ? c.eta_seconds : null;
  return (
    <Card title="Progress">
      <div
        role="progressbar"
        aria-label="Campaign progress"
        aria-valuemin={0}
        aria-valuemax={target}
        aria-valuenow={done}
        className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div
          className={`h-full rounded-full transition-all ${c.state === 'paused' ? 'bg-amber-500' : 'bg-brand-600'}`}
          style={{ width: `${p}%` }}
        />
      </div>
      <p className="mt-2 flex flex-wrap gap-x-4 text-sm text-slate-700" aria-live="polite">
        <span>
          {n(done)} of {n(target)} processed ({p}%)
        </span>
        {running && (
          <span>
            Rate:{' '}
            <span data-testid="campaign-rate">{c.rate === null ? '—' : `${Math.round(c.rate)} msg/s`}</span>
          </span>
        )}
        {running && eta !== null && <span>ETA: about {duration(eta)}</span>}
      </p>
      <dl className="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-8" aria-label="Counters">
        <Counter label="Total" value={n(k.total)} testId="count-total" />
        <Counter label="Queued" value={n(k.queued)} testId="count-queued" />
        <Counter label="Sent" value={n(k.sent)} testId="count-sent" />
        <Counter label="Delivered" value={n(k.delivered)} testId="count-delivered" />
        <Counter label="Read" value={n(k.read)} testId="count-read" />
        <Counter
          label="Failed"
          value={n(k.failed)}
          tone={k.failed ? 'text-red-700' : undefined}
          testId="count-failed"
        />
        <Counter label="Skipped" value={n(k.skipped)} testId="count-skipped" />
        <Counter label="Invalid" value={n(k.invalid)} testId="count-invalid" />
      </dl>
    </Card>
  );
}

/** What the pre-flight found: problems, skipped recipients, estimated cost and today's budget. */
export function Preflight({ campaign: c }: { campaign: Campaign }) {
  const f = c.preflight;
  if (!f) return null;
  const skipped = Object.entries(f.skipped);
  const money = (v: number) =>
    (() => {
      try {
        return v.toLocaleString(undefined, { style: 'currency', currency: f.estimated_cost.currency });
      } catch {
        return `${v.toFixed(2)} ${f.estimated_cost.currency}`;
      }
    })();
  return (
    <Card title="Pre-flight" description={`Checked ${when(f.checked_at)}.`}>
      <div className="space-y-3 text-sm" data-testid="preflight">
        {f.problems.length > 0 ? (
          <Alert>
            <p className="font-medium">Problems found:</p>
            <ul className="mt-1 list-disc pl-5">
              {f.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </Alert>
        ) : (
          <Alert kind="success">Every check passed: {n(f.ready)} recipients ready.</Alert>
        )}
        <dl className="grid gap-x-6 gap-y-2 sm:grid-cols-3">
          <div>
            <dt className="text-xs text-slate-500">Skipped</dt>
            <dd className="text-slate-900">
              {skipped.length === 0
                ? 'None'
                : skipped.map(([reason, count]) => (
                    <span key={reason} className="block">
                      {n(count)} — {reason}
                    </span>
                  ))}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Estimated cost</dt>
            <dd className="text-slate-900">
              {money(f.estimated_cost.total)}
              {Object.entries(f.estimated_cost.by_category).map(([cat, v]) => (
                <span key={cat} className="block text-xs text-slate-600">
                  {cat.toLowerCase()}: {money(v)}
                </span>
              ))}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Budget today</dt>
            <dd className="text-slate-900" data-testid="preflight-budget">
              <Budget preflight={f} />
            </dd>
          </div>
        </dl>
      </div>
    </Card>
  );
}

/** Meta's messaging limit as the pre-flight saw it: what is left today, of which tier. */
function Budget({ preflight: f }: { preflight: NonNullable<Campaign['preflight']> }) {
  const m = f.messaging_limit;
  if (!m) {
    // A pre-flight stored before the limit was recorded has only the budget, or nothing.
    return f.budget === null ? (
      <>Unknown (Meta has not told us the number's messaging limit)</>
    ) : (
      <>{n(f.budget)} more recipients</>
    );
  }
  const used = `${n(m.used)} messaged in the last 24 hours`;
  if (m.limit === null) {
    return (
      <>
        Unlimited{' '}
        <span className="block text-xs text-slate-600">
          {used} (tier {tierName(m.tier)})
        </span>
      </>
    );
  }
  return (
    <>
      {n(f.budget)} more recipients
      <span className="block text-xs text-slate-600">
        {n(m.limit)} a day (tier {tierName(m.tier)}), {used}
      </span>
    </>
  );
}
