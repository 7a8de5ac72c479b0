import { ApiError, createClient } from '@openwaba/sdk';
import { QueryClient } from '@tanstack/react-query';
import { authKeys } from './features/auth/keys.ts';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
      refetchOnWindowFocus: true,
    },
  },
});

/** The dashboard's only way to the server. */
export const api = createClient({
  onSignedOut: () => {
    queryClient.setQueryData(authKeys.me, null);
  },
});

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong';
}

/**
 * Field errors of a refused form, by field: zod's paths start with `body`, a service's own name the
 * field (and an index); every message of a field is kept.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return {};
  const out: Record<string, string[]> = {};
  for (const d of err.details as { path?: unknown; message?: unknown }[]) {
    if (!Array.isArray(d.path) || typeof d.message !== 'string') continue;
    const path = d.path[0] === 'body' ? d.path.slice(1) : d.path;
    const key = String(path[0] ?? 'form');
    const list = out[key] ?? [];
    if (!list.includes(d.message)) list.push(d.message);
    out[key] = list;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('; ')]));
}
