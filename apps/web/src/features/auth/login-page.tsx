import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api, errorMessage } from '../../api.ts';
import { Alert, Button, Field, Input } from '../../components/ui.tsx';
import { AuthFrame } from './auth-frame.tsx';
import { useMe } from './use-me.ts';

export function LoginPage() {
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Where to go once signed in: the page that sent here (e.g. an invitation link, fragment included).
  const from = (location.state as { from?: string } | null)?.from;
  const next = from && !from.startsWith('/login') ? from : '/inbox';
  const login = useMutation({
    mutationFn: () => api.auth.login({ email, password }),
    onSuccess: async () => {
      await qc.resetQueries();
      navigate(next, { replace: true });
    },
  });
  if (me.data) return <Navigate to={next} replace />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  return (
    <AuthFrame title="Sign in to your workspace">
      <form onSubmit={submit} className="space-y-4" noValidate>
        {login.error && <Alert>{errorMessage(login.error)}</Alert>}
        <Field label="Email">
          {(id) => (
            <Input
              id={id}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Password">
          {(id) => (
            <Input
              id={id}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Button
          type="submit"
          className="w-full"
          disabledReason={
            login.isPending ? 'Signing in…' : !email ? 'Enter your email' : !password && 'Enter your password'
          }
        >
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
      <p className="mt-4 text-sm text-slate-600">
        Forgot your password? Ask the administrator of this server, or run{' '}
        <code className="break-all rounded bg-slate-100 px-1 font-mono text-xs text-slate-800">
          npx openwaba users reset-password --email {email.trim() || 'you@…'}
        </code>{' '}
        on the server.
      </p>
    </AuthFrame>
  );
}
