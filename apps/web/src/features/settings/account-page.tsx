import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
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
          <Button type="submit" disabled={change.isPending || !current || !next}>
            Change password
          </Button>
        </form>
      </Card>
      <Card title="Where you're signed in">
        {revoke.error && <Alert>{errorMessage(revoke.error)}</Alert>}
        <ul className="divide-y divide-slate-100 text-sm">
          {sessions.data?.data.map((s) => (
            <li key={s.id} className="flex items-center justify-between gap-3 py-2">
              <div className="min-w-0">
                <div className="truncate">{s.user_agent ?? 'Unknown device'}</div>
                <div className="text-xs text-slate-500">
                  {s.ip ?? 'unknown address'} · last active {new Date(s.last_seen_at).toLocaleString()}
                  {s.current && ' · this device'}
                </div>
              </div>
              {!s.current && (
                <Button variant="ghost" onClick={() => revoke.mutate(s.id)}>
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
