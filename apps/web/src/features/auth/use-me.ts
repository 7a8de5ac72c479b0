import type { Me } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { authKeys } from './keys.ts';

/** The signed-in user; `null` when signed out. */
export function useMe() {
  return useQuery<Me | null>({
    queryKey: authKeys.me,
    queryFn: async () => {
      try {
        return await api.me.get();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}
