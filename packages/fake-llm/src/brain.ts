/**
 * The fake model's answers: deterministic, so a test can say what it expects. Three tasks, told
 * apart by the system text the server's prompts carry (see README.md): classify into `<labels>`,
 * summarise (`TASK: summary`), or reply from the `<knowledge>` passages (else hand over).
 */

export interface BrainMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** What the reply task answers when no passage shares a word with the customer's message. */
export const HANDOVER = '[[HANDOVER]]';
export const GREETING_REPLY = 'Hello! How can I help you today?';

/** Ordered: the first category whose words appear wins (spam before the rest, complaints before orders). */
const CATEGORIES: { label: string; words: RegExp }[] = [
  { label: 'spam', words: /free money|click here|crypto|bitcoin|you have won|\bwinner\b/ },
  {
    label: 'complaint',
    words: /\b(refund|broken|terrible|angry|complain|complaint|awful|worst|damaged|disappointed)\b/,
  },
  {
    label: 'order',
    words: /\b(orders?|delivery|deliver|delivered|tracking|track|package|parcel|shipping|shipped)\b/,
  },
  { label: 'sales', words: /\b(price|prices|pricing|buy|quote|discount|cost|purchase)\b/ },
];

const GREETINGS = new Set([
  'hi',
  'hello',
  'hey',
  'hola',
  'oi',
  'good morning',
  'good afternoon',
  'good evening',
  'hi there',
  'hello there',
  'hey there',
]);

const STOP_WORDS = new Set([
  'about',
  'after',
  'again',
  'also',
  'been',
  'before',
  'being',
  'but',
  'can',
  'could',
  'does',
  'doing',
  'from',
  'have',
  'hello',
  'here',
  'into',
  'just',
  'like',
  'more',
  'much',
  'please',
  'should',
  'some',
  'than',
  'thank',
  'thanks',
  'that',
  'their',
  'them',
  'then',
  'there',
  'these',
  'they',
  'this',
  'very',
  'want',
  'what',
  'when',
  'where',
  'which',
  'while',
  'will',
  'with',
  'would',
  'your',
  'yours',
]);

/**
 * The fake model's answer to a system text and a conversation.
 *
 * @example answerFor('<labels>order|complaint|other</labels>', [{ role: 'user', content: 'Where is my package?' }]) // 'order'
 */
export function answerFor(system: string, messages: BrainMessage[]): string {
  const userLines = messages.filter((m) => m.role === 'user').map((m) => m.content);
  const last = userLines.at(-1) ?? '';
  const labels = /<labels>([^<]*)<\/labels>/i.exec(system);
  if (labels) return classify(last, labels[1]!.split('|'));
  if (system.includes('TASK: summary')) return summarise(userLines);
  return replyFrom(parseKnowledge(system), last);
}

/** One of the labels, by the keywords of the customer's last message; the last label when none fits. */
export function classify(text: string, rawLabels: string[]): string {
  const labels = rawLabels.map((l) => l.trim()).filter(Boolean);
  if (!labels.length) return 'other';
  const lower = text.toLowerCase();
  const category =
    CATEGORIES.find((c) => c.words.test(lower))?.label ?? (text.trim().endsWith('?') ? 'question' : 'other');
  return labels.find((l) => l.toLowerCase().includes(category)) ?? labels.at(-1)!;
}

const MAX_SUMMARY = 300;

/** `Summary: ` and the first sentence of the first and of the last customer line (≤ 300 chars). */
export function summarise(userLines: string[]): string {
  const lines = userLines.map((l) => firstSentences(l, 1)).filter(Boolean);
  if (!lines.length) return 'Summary: the customer has not written anything yet.';
  const first = lines[0]!;
  const last = lines.at(-1)!;
  let body = lines.length > 1 && last !== first ? `${first} … ${last}` : first;
  if (body.length > MAX_SUMMARY) body = `${body.slice(0, MAX_SUMMARY - 1)}…`;
  return `Summary: ${body}`;
}

export interface Passage {
  n: number;
  title: string;
  text: string;
}

/** `[n] (title) text` lines between `<knowledge>` and `</knowledge>`. */
export function parseKnowledge(system: string): Passage[] {
  const block = /<knowledge>([\s\S]*?)<\/knowledge>/i.exec(system);
  if (!block) return [];
  const passages: Passage[] = [];
  for (const line of block[1]!.split('\n')) {
    const m = /^\s*\[(\d+)\]\s*\(([^)]*)\)\s*(.*)$/.exec(line);
    if (m) passages.push({ n: Number(m[1]), title: m[2]!.trim(), text: m[3]!.trim() });
  }
  return passages;
}

/** The greeting, the best passage's first two sentences, or the hand-over signal. */
export function replyFrom(passages: Passage[], last: string): string {
  const greeting = last
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (GREETINGS.has(greeting)) return GREETING_REPLY;
  const asked = wordsOf(last);
  let best: { passage: Passage; score: number } | undefined;
  for (const p of passages) {
    const have = wordsOf(`${p.title} ${p.text}`);
    let score = 0;
    for (const w of asked) if (have.has(w)) score++;
    if (score > 0 && (!best || score > best.score)) best = { passage: p, score };
  }
  return best ? firstSentences(best.passage.text, 2) : HANDOVER;
}

/** Distinct words of four letters or more, lower case, without stop words. */
export function wordsOf(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return new Set(words.filter((w) => w.length >= 4 && !STOP_WORDS.has(w)));
}

function firstSentences(text: string, count: number): string {
  const sentences = text.trim().split(/(?<=[.!?])\s+/);
  return sentences.slice(0, count).join(' ').trim();
}

/** About four characters a token, at least one. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
