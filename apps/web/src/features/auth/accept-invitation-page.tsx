import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Field, Input } from '../../components/ui.tsx';
import { AuthFrame } from './auth-frame.tsx';
import { authKeys } from './keys.ts';
import { useMe } from './use-me.ts';

/**
 * The token rides in the URL fragment (`#token=…`): browsers never send a fragment, so it stays out
 * of server and proxy logs. Links made before that carried `?token=`; they still work.
 */
function tokenOf(location: { hash: string; search: string }) {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  return fromHash ?? new URLSearchParams(location.search).get('token') ?? '';
}

export function AcceptInvitationPage() {
  const location = useLocation();
  const token = tokenOf(location);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useMe();
  const [kind, setKind] = useState<'new' | 'existing'>('new');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  // An old `?token=` link: move the token into the fragment so reloads and history do not keep it
  // in a URL the server sees.
  useEffect(() => {
    if (new URLSearchParams(location.search).has('token') && token) {
      navigate({ pathname: location.pathname, search: '', hash: `token=${token}` }, { replace: true });
    }
  }, [location.pathname, location.search, navigate, token]);
  const lookup = useQuery({
    queryKey: authKeys.invitation(token),
    queryFn: () => api.invitations.lookup(token),
    enabled: token.length > 0,
    retry: false,
  });
  const inv = lookup.data;
  const signedInAsInvitee = Boolean(inv && me.data && me.data.user.email === inv.email);
  const accept = useMutation({
    mutationFn: () =>
      api.invitations.accept({
        token,
        ...(signedInAsInvitee ? {} : { password }),
        ...(!signedInAsInvitee && kind === 'new' && name ? { name } : {}),
      }),
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
  if (!inv || me.isPending) {
    return (
      <AuthFrame title="Invitation">
        <p className="text-sm text-slate-600" role="status">
          Loading…
        </p>
      </AuthFrame>
    );
  }
  const here = `${location.pathname}#token=${encodeURIComponent(token)}`;
  return (
    <AuthFrame title={`Join ${inv.org_name}`}>
      <form onSubmit={submit} className="space-y-4">
        <p className="text-sm text-slate-600">
          You were invited as <strong>{inv.role}</strong> with <strong>{inv.email}</strong>.
        </p>
        {accept.error && <Alert>{errorMessage(accept.error)}</Alert>}
        {signedInAsInvitee ? (
          <p className="text-sm text-slate-600">You are signed in as {inv.email}.</p>
        ) : (
          <>
            {me.data && (
              <p className="text-sm text-slate-600">
                You are signed in as {me.data.user.email}; accepting signs you in as {inv.email}.
              </p>
            )}
            <fieldset className="space-y-2 text-sm">
              <legend className="sr-only">Your account</legend>
              <label className="flex items-center gap-2">
                <input type="radio" name="kind" checked={kind === 'new'} onChange={() => setKind('new')} />I
                am new to openwaba: create my account
              </label>
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="kind"
                  checked={kind === 'existing'}
                  onChange={() => setKind('existing')}
                />
                I already have an account with {inv.email}
              </label>
            </fieldset>
            {kind === 'new' && (
              <Field label="Your name">
                {(id) => <Input id={id} value={name} onChange={(e) => setName(e.target.value)} />}
              </Field>
            )}
            <Field
              label={kind === 'new' ? 'Choose a password' : 'Your password'}
              hint={kind === 'new' ? 'At least 10 characters' : undefined}
            >
              {(id) => (
                <Input
                  id={id}
                  type="password"
                  autoComplete={kind === 'new' ? 'new-password' : 'current-password'}
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              )}
            </Field>
            {kind === 'existing' && !me.data && (
              <p className="text-sm">
                Or{' '}
                <Link className="text-brand-700 underline" to="/login" state={{ from: here }}>
                  sign in first
                </Link>{' '}
                and come back to this page.
              </p>
            )}
          </>
        )}
        <Button
          type="submit"
          className="w-full"
          disabledReason={
            accept.isPending
              ? 'Accepting…'
              : !signedInAsInvitee && password.length === 0 && 'Enter a password first'
          }
        >
          Accept invitation
        </Button>
      </form>
    </AuthFrame>
  );
}
