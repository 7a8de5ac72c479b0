import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';

/** The organisation's connected numbers; one cache entry shared by the shell, the inbox and settings. */
export function useNumbers() {
  return useQuery({ queryKey: ['numbers'], queryFn: () => api.numbers.list(), staleTime: 60_000 });
}
