import { useEffect, useState } from 'react';

const PREFIX = 'openwaba:draft:';
/** Per user: on a shared computer, the next person to sign in never sees someone else's words. */
const draftKey = (userId: string, conversationId: string) => `${PREFIX}${userId}:${conversationId}`;

/**
 * The draft of a conversation, kept in this browser for the signed-in user until it is sent or
 * they sign out. Empty (and not kept) while the user is not known yet.
 */
export function useDraft(userId: string | undefined, conversationId: string) {
  const read = () => (userId ? (localStorage.getItem(draftKey(userId, conversationId)) ?? '') : '');
  const [text, setText] = useState(read);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `read` depends on exactly these.
  useEffect(() => setText(read()), [userId, conversationId]);
  const update = (v: string) => {
    setText(v);
    if (!userId) return;
    if (v) localStorage.setItem(draftKey(userId, conversationId), v);
    else localStorage.removeItem(draftKey(userId, conversationId));
  };
  return [text, update] as const;
}

/** Forgets every draft kept in this browser (sign-out), including those from before drafts were per user. */
export function clearDrafts() {
  const keys: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k?.startsWith(PREFIX)) keys.push(k);
  }
  for (const k of keys) localStorage.removeItem(k);
}
