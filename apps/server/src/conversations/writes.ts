/**
 * The ways other domains write conversations inside their own transactions (see repo.ts): functions
 * taking their transaction rather than service calls, because those writes commit or roll back with
 * theirs (the layering rules forbid importing `repo.ts` itself).
 */
export {
  lockConversations,
  mergeContactConversations,
  openChunkConversations,
  openConversation,
  openConversations,
  openConversationsForSend,
  recordReferrals,
  recountConversations,
  touchConversations,
} from './repo.ts';
