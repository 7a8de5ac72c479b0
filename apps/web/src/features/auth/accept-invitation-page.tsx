import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Field, Input } from '../../components/ui.tsx';
import { AuthFrame } from './login-page.tsx';

export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const lookup = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => api.invitations.lookup(token),
    enabled: token.length > 0,
  });
  const accept = useMutation({
    mutationFn: () => api.invitations.accept({ token, password, ...(name ? { name } : {}) }),
    onSuccess: async () => {
      await qc.resetQueries();
      navigate('/inbox', { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    accept.mutate();
  };
  if (!token || lookup.error) {
    return (
      <AuthFrame title="Invitation">
        <Alert>{token ? errorMessage(lookup.error) : 'This link has no invitation token.'}</Alert>
        <p className="mt-4 text-sm">
          <Link className="text-brand-700 underline" to="/login">
            Go to sign in
          </Link>
        </p>
      </AuthFrame>
    );
  }
  const inv = lookup.data;
  return (
    <AuthFrame title={inv ? `Join ${inv.org_name}` : 'Invitation'}>
      {inv && (
        <form onSubmit={submit} className="space-y-4">
          <p className="text-sm text-slate-600">
            You were invited as <strong>{inv.role}</strong> with <strong>{inv.email}</strong>.
            {inv.user_exists
              ? ' Enter the password of your existing account to accept.'
              : ' Choose a password to create your account.'}
          </p>
          {accept.error && <Alert>{errorMessage(accept.error)}</Alert>}
          {!inv.user_exists && (
            <Field label="Your name">
              {(id) => <Input id={id} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
          )}
          <Field label="Password" hint={inv.user_exists ? undefined : 'At least 10 characters'}>
            {(id) => (
              <Input
                id={id}
                type="password"
                autoComplete={inv.user_exists ? 'current-password' : 'new-password'}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          <Button type="submit" className="w-full" disabled={accept.isPending || password.length === 0}>
            Accept invitation
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}
