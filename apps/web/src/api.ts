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
