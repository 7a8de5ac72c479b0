import type { Session } from '@openwaba/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { RelativeTime } from '../../components/relative-time.tsx';
import { Alert, Badge, Button, Card, Field, Input } from '../../components/ui.tsx';
import { sessionKeys } from './keys.ts';

export function AccountPage() {
  const qc = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const sessions = useQuery({ queryKey: sessionKeys.all, queryFn: () => api.me.sessions() });
  const change = useMutation({
    mutationFn: () => api.me.changePassword({ current_password: current, new_password: next }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      qc.invalidateQueries({ queryKey: sessionKeys.all });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.me.revokeSession(id),
    onSettled: () => qc.invalidateQueries({ queryKey: sessionKeys.all }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    change.mutate();
  };
  return (
    <div className="max-w-2xl space-y-6">
      <Card title="Change password" description="Changing your password signs you out everywhere else.">
        <form onSubmit={submit} className="space-y-4">
          {change.error && <Alert>{errorMessage(change.error)}</Alert>}
          {change.isSuccess && (
            <Alert kind="success">Password changed. Other sessions were signed out.</Alert>
          )}
          <Field label="Current password">
            {(id) => (
              <Input
                id={id}
                type="password"
                autoComplete="current-password"
                value={current}
                onChange={(e) => setCurrent(e.target.value)}
              />
            )}
          </Field>
          <Field label="New password" hint="At least 10 characters">
            {(id) => (
              <Input
                id={id}
                type="password"
                autoComplete="new-password"
                value={next}
                onChange={(e) => setNext(e.target.value)}
              />
            )}
          </Field>
          <Button
            type="submit"
            disabledReason={
              change.isPending
                ? 'Changing…'
                : !current
                  ? 'Enter your current password'
                  : !next && 'Enter a new password'
            }
          >
            Change password
          </Button>
        </form>
      </Card>
      <Card
        title="Where you're signed in"
        description="A session's last activity is updated each time it renews, about every 15 minutes while it is in use."
      >
        {revoke.error && <Alert>{errorMessage(revoke.error)}</Alert>}
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Sessions">
          {[...(sessions.data?.data ?? [])]
            .sort((a, b) => Number(b.current) - Number(a.current))
            .map((s) => (
              <li key={s.id} className="flex items-center justify-between gap-3 py-3">
                <div className="min-w-0">
                  <div className="flex items-center gap-2">
                    <span className="truncate font-medium text-slate-900" title={s.user_agent ?? undefined}>
                      {deviceName(s)}
                    </span>
                    {s.current && <Badge tone="green">This device</Badge>}
                  </div>
                  <div className="text-xs text-slate-500">
                    {s.ip ?? 'Unknown address'} ·{' '}
                    {s.current ? (
                      'active now'
                    ) : (
                      <>
                        last active <RelativeTime iso={s.last_seen_at} />
                      </>
                    )}{' '}
                    · signed in <RelativeTime iso={s.created_at} />
                  </div>
                </div>
                {!s.current && (
                  <Button
                    variant="ghost"
                    aria-label={`Sign out ${deviceName(s)}`}
                    disabledReason={revoke.isPending && 'Signing out another session…'}
                    onClick={() => revoke.mutate(s.id)}
                  >
                    Sign out
                  </Button>
                )}
              </li>
            ))}
        </ul>
      </Card>
    </div>
  );
}

/** "Chrome 141 on Linux"; the raw user agent when it names no browser (a script, the CLI). */
function deviceName(s: Session): string {
  if (s.browser && s.os) return `${s.browser} on ${s.os}`;
  return s.browser ?? s.os ?? (s.user_agent?.slice(0, 80) || 'Unknown device');
}
