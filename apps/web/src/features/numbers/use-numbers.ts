import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { numberKeys } from './keys.ts';

/** The organisation's connected numbers; one cache entry shared by the shell, the inbox and settings. */
export function useNumbers() {
  return useQuery({ queryKey: numberKeys.all, queryFn: () => api.numbers.list(), staleTime: 60_000 });
}
