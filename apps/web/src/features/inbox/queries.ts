import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';

export interface ConversationFilters {
  search?: string | undefined;
  number_id?: string | undefined;
  assigned?: 'all' | 'me' | 'unassigned';
}

/** Query keys of the inbox: the realtime hook invalidates by them. */
export const inboxKeys = {
  lists: ['conversations', 'list'] as const,
  list: (f: ConversationFilters) => ['conversations', 'list', f] as const,
  allMessages: ['conversations', 'messages'] as const,
  messages: (conversationId: string) => ['conversations', 'messages', conversationId] as const,
};

/** Conversations, most recent first, a page at a time (`fetchNextPage` loads older ones). */
export function useConversations(f: ConversationFilters) {
  return useInfiniteQuery({
    queryKey: inboxKeys.list(f),
    queryFn: ({ pageParam }) => api.conversations.list({ ...f, before: pageParam || undefined, limit: 30 }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // Typing in the search box keeps the current list on screen until the new one arrives.
    placeholderData: keepPreviousData,
  });
}

/** A conversation's messages; pages are newest first, `fetchNextPage` loads older ones. */
export function useMessages(conversationId: string) {
  return useInfiniteQuery({
    queryKey: inboxKeys.messages(conversationId),
    queryFn: ({ pageParam }) =>
      api.conversations.messages(conversationId, { before: pageParam || undefined, limit: 50 }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}
