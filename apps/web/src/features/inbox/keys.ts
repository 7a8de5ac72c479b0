/** Query keys of the inbox: the realtime hook invalidates by them. */
export const inboxKeys = {
  all: ['conversations'] as const,
  lists: ['conversations', 'list'] as const,
  list: (filters: object) => ['conversations', 'list', filters] as const,
  allMessages: ['conversations', 'messages'] as const,
  messages: (conversationId: string) => ['conversations', 'messages', conversationId] as const,
  notes: (conversationId: string) => ['conversations', 'notes', conversationId] as const,
  /** A conversation's AI: mode, hand-over, replies' sources, labels. */
  ai: (conversationId: string) => ['conversations', 'ai', conversationId] as const,
};
