import type { CONVERSATION_STATUSES } from '@openwaba/contracts';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../../api.ts';
import { inboxKeys } from './keys.ts';

/** What the inbox list shows; each is a query parameter of `GET /api/v1/conversations`. */
export interface ConversationFilters {
  search?: string | undefined;
  number_id?: string | undefined;
  assigned?: 'all' | 'me' | 'unassigned';
  /** Left out for every status. */
  status?: (typeof CONVERSATION_STATUSES)[number] | undefined;
  tag_id?: string | undefined;
  /** An AI intent label on one of the customer's messages. */
  label?: string | undefined;
  /** Only conversations with messages the signed-in agent has not read. */
  unread?: true | undefined;
}

/** Rows per page: a screenful and then some, so scrolling rarely waits for the next page. */
const PAGE_SIZE = 50;

/** Conversations, most recent first, a page at a time (`fetchNextPage` loads older ones). */
export function useConversations(f: ConversationFilters) {
  return useInfiniteQuery({
    queryKey: inboxKeys.list(f),
    queryFn: ({ pageParam }) =>
      api.conversations.list({ ...f, before: pageParam || undefined, limit: PAGE_SIZE }),
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
