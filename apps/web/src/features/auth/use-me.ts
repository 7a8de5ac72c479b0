import type { Me } from '@openwaba/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { authKeys } from './keys.ts';

/**
 * The signed-in user; `null` when signed out. The server is asked whether there is a session
 * before /me, so the sign-in page loads without a single failing request.
 */
export function useMe() {
  return useQuery<Me | null>({
    queryKey: authKeys.me,
    queryFn: () => api.me.current(),
    staleTime: 60_000,
  });
}
