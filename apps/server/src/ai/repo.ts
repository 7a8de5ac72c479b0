import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';

/**
 * Every statement on the AI tables (settings, number modes, knowledge, calls, hand-overs, counters,
 * the pending replies, labels). Tenant first. Reads of other domains' rows the AI needs (a
 * conversation's messages, its window, the org's timezone) are plain selects: they write nothing of
 * another domain.
 */

type Q = Db | Tx;

// ---------------------------------------------------------------- settings

export interface SettingsRow {
  org_id: string;
  provider: 'openai' | 'anthropic' | 'openai_compatible';
  model: string;
  base_url: string | null;
  api_key_sealed: string | null;
  api_key_hint: string | null;
  daily_token_budget: number | null;
  price_input_per_mtok: string;
  price_output_per_mtok: string;
  currency: string;
  max_replies_per_contact: number;
  debounce_seconds: number;
  handover_keywords: string[];
  handover_team_id: string | null;
  reply_max_chars: number;
  labels_enabled: boolean;
  labels: string[];
  search_language: string;
  failures_in_row: number;
  breaker_open_until: Date | string | null;
  budget_notice_on: string | null;
  /** Not a column: the organisation's timezone, read with the row. */
  timezone: string;
  /** Not a column: whether a settings row exists. */
  stored: boolean;
}

/** The organisation's settings, defaults when none are stored. */
export async function settingsOf(q: Q, orgId: string): Promise<SettingsRow> {
  const [row] = await queryRows<SettingsRow>(
    q,
    sql`select a.*, coalesce(s.timezone, 'UTC') as timezone, (a.org_id is not null) as stored
        from (select ${orgId}::uuid as id) o
        left join ai_settings a on a.org_id = o.id
        left join org_settings s on s.org_id = o.id`,
  );
  if (row?.stored) return row;
  return {
    ...DEFAULTS,
    org_id: orgId,
    timezone: row?.timezone ?? 'UTC',
    stored: false,
  };
}

const DEFAULTS: Omit<SettingsRow, 'org_id' | 'timezone' | 'stored'> = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  base_url: null,
  api_key_sealed: null,
  api_key_hint: null,
  daily_token_budget: null,
  price_input_per_mtok: '0',
  price_output_per_mtok: '0',
  currency: 'USD',
  max_replies_per_contact: 40,
  debounce_seconds: 4,
  handover_keywords: ['agent', 'human'],
  handover_team_id: null,
  reply_max_chars: 700,
  labels_enabled: true,
  labels: ['question', 'order status', 'complaint', 'sales lead', 'spam', 'other'],
  search_language: 'simple',
  failures_in_row: 0,
  breaker_open_until: null,
  budget_notice_on: null,
};

export type SettingsWrite = Partial<
  Omit<
    SettingsRow,
    'org_id' | 'timezone' | 'stored' | 'failures_in_row' | 'breaker_open_until' | 'budget_notice_on'
  >
>;

const SETTINGS_COLUMNS: Record<keyof SettingsWrite, string> = {
  provider: 'provider',
  model: 'model',
  base_url: 'base_url',
  api_key_sealed: 'api_key_sealed',
  api_key_hint: 'api_key_hint',
  daily_token_budget: 'daily_token_budget',
  price_input_per_mtok: 'price_input_per_mtok',
  price_output_per_mtok: 'price_output_per_mtok',
  currency: 'currency',
  max_replies_per_contact: 'max_replies_per_contact',
  debounce_seconds: 'debounce_seconds',
  handover_keywords: 'handover_keywords',
  handover_team_id: 'handover_team_id',
  reply_max_chars: 'reply_max_chars',
  labels_enabled: 'labels_enabled',
  labels: 'labels',
  search_language: 'search_language',
};

const arrayParam = (v: unknown) =>
  Array.isArray(v)
    ? sql`${`{${v.map((x) => `"${String(x).replace(/["\\]/g, '\\$&')}"`).join(',')}}`}::text[]`
    : sql`${v}`;

/** Inserts the row when missing and sets the given columns; a changed provider closes the breaker. */
export async function upsertSettings(q: Q, orgId: string, w: SettingsWrite) {
  const keys = (Object.keys(w) as (keyof SettingsWrite)[]).filter((k) => w[k] !== undefined);
  await q.execute(sql`insert into ai_settings (org_id) values (${orgId}) on conflict (org_id) do nothing`);
  if (!keys.length) return;
  const sets = keys.map((k) => sql`${sql.raw(SETTINGS_COLUMNS[k])} = ${arrayParam(w[k])}`);
  await q.execute(
    sql`update ai_settings set ${sql.join(sets, sql`, `)}, failures_in_row = 0, breaker_open_until = null,
          updated_at = now()
        where org_id = ${orgId}`,
  );
}

/**
 * A failed call: one more in a row; at `threshold` the breaker opens for `openSeconds`. Returns
 * whether this failure opened it (the caller tells the admins once).
 */
export async function recordFailure(q: Q, orgId: string, threshold: number, openSeconds: number) {
  const [r] = await queryRows<{ opened: boolean }>(
    q,
    sql`update ai_settings set failures_in_row = failures_in_row + 1,
          breaker_open_until = case when failures_in_row + 1 >= ${threshold}
                                     and (breaker_open_until is null or breaker_open_until < now())
                                    then now() + make_interval(secs => ${openSeconds}) else breaker_open_until end
        where org_id = ${orgId}
        returning failures_in_row = ${threshold} as opened`,
  );
  return r?.opened === true;
}

export async function recordSuccess(q: Q, orgId: string) {
  await q.execute(
    sql`update ai_settings set failures_in_row = 0, breaker_open_until = null
        where org_id = ${orgId} and (failures_in_row <> 0 or breaker_open_until is not null)`,
  );
}

/** Sets today's 80 % notice once; true when this call set it. */
export async function claimBudgetNotice(q: Q, orgId: string, today: string) {
  const rows = await queryRows<{ org_id: string }>(
    q,
    sql`update ai_settings set budget_notice_on = ${today}::date
        where org_id = ${orgId} and budget_notice_on is distinct from ${today}::date returning org_id`,
  );
  return rows.length > 0;
}

export async function teamExists(q: Q, orgId: string, teamId: string) {
  const rows = await queryRows<{ id: string }>(
    q,
    sql`select id from teams where org_id = ${orgId} and id = ${teamId}`,
  );
  return rows.length > 0;
}

// ---------------------------------------------------------------- number modes

export interface NumberAiRow {
  number_id: string;
  mode: 'off' | 'suggest' | 'auto';
  system_prompt: string;
}

/** Every number of the organisation with its mode (off when none is stored). */
export function numberModes(q: Q, orgId: string) {
  return queryRows<NumberAiRow>(
    q,
    sql`select n.id as number_id, coalesce(a.mode, 'off') as mode, coalesce(a.system_prompt, '') as system_prompt
        from numbers n left join ai_number_settings a on a.number_id = n.id
        where n.org_id = ${orgId} order by n.created_at`,
  );
}

export async function numberMode(q: Q, orgId: string, numberId: string): Promise<NumberAiRow | null> {
  const [r] = await queryRows<NumberAiRow>(
    q,
    sql`select n.id as number_id, coalesce(a.mode, 'off') as mode, coalesce(a.system_prompt, '') as system_prompt
        from numbers n left join ai_number_settings a on a.number_id = n.id
        where n.org_id = ${orgId} and n.id = ${numberId}`,
  );
  return r ?? null;
}

export async function hasNumberMode(q: Q, numberId: string) {
  const rows = await queryRows<{ n: number }>(
    q,
    sql`select 1 as n from ai_number_settings where number_id = ${numberId}`,
  );
  return rows.length > 0;
}

export async function hasDocs(q: Q, orgId: string) {
  const rows = await queryRows<{ n: number }>(
    q,
    sql`select 1 as n from ai_knowledge_docs where org_id = ${orgId} limit 1`,
  );
  return rows.length > 0;
}

export async function upsertNumberMode(
  q: Q,
  orgId: string,
  numberId: string,
  w: { mode?: string; system_prompt?: string },
) {
  await q.execute(
    sql`insert into ai_number_settings (number_id, org_id, mode, system_prompt)
        values (${numberId}, ${orgId}, ${w.mode ?? 'off'}, ${w.system_prompt ?? ''})
        on conflict (number_id) do update set
          mode = coalesce(${w.mode ?? null}, ai_number_settings.mode),
          system_prompt = coalesce(${w.system_prompt ?? null}, ai_number_settings.system_prompt),
          updated_at = now()`,
  );
}

// ---------------------------------------------------------------- knowledge

export interface DocRow {
  id: string;
  number_id: string | null;
  title: string;
  format: 'entry' | 'text' | 'markdown' | 'pdf' | 'docx';
  filename: string | null;
  chars: number;
  chunks: number;
  created_at: Date | string;
  updated_at: Date | string;
  body?: string;
}

export function listDocs(q: Q, orgId: string) {
  return queryRows<DocRow>(
    q,
    sql`select d.id, d.number_id, d.title, d.format, d.filename, d.chars, d.created_at, d.updated_at,
               (select count(*)::int from ai_knowledge_chunks c where c.doc_id = d.id) as chunks
        from ai_knowledge_docs d where d.org_id = ${orgId} order by d.created_at desc`,
  );
}

export async function docOf(q: Q, orgId: string, id: string): Promise<DocRow | null> {
  const [r] = await queryRows<DocRow>(
    q,
    sql`select d.id, d.number_id, d.title, d.format, d.filename, d.chars, d.created_at, d.updated_at, d.body,
               (select count(*)::int from ai_knowledge_chunks c where c.doc_id = d.id) as chunks
        from ai_knowledge_docs d where d.org_id = ${orgId} and d.id = ${id}`,
  );
  return r ?? null;
}

export async function insertDoc(
  q: Q,
  orgId: string,
  d: {
    numberId: string | null;
    title: string;
    format: string;
    filename: string | null;
    body: string;
    createdBy: string | null;
  },
) {
  const [r] = await queryRows<{ id: string }>(
    q,
    sql`insert into ai_knowledge_docs (org_id, number_id, title, format, filename, body, chars, created_by)
        values (${orgId}, ${d.numberId}, ${d.title}, ${d.format}, ${d.filename}, ${d.body}, ${d.body.length}, ${d.createdBy})
        returning id`,
  );
  return r!.id;
}

export async function updateDoc(
  q: Q,
  orgId: string,
  id: string,
  w: { title?: string; body?: string; numberId?: string | null },
) {
  await q.execute(
    sql`update ai_knowledge_docs set
          title = coalesce(${w.title ?? null}, title),
          body = coalesce(${w.body ?? null}, body),
          chars = length(coalesce(${w.body ?? null}, body)),
          number_id = case when ${w.numberId !== undefined} then ${w.numberId ?? null}::uuid else number_id end,
          updated_at = now()
        where org_id = ${orgId} and id = ${id}`,
  );
}

export async function deleteDoc(q: Q, orgId: string, id: string) {
  const rows = await queryRows<{ id: string }>(
    q,
    sql`delete from ai_knowledge_docs where org_id = ${orgId} and id = ${id} returning id`,
  );
  return rows.length > 0;
}

/** Replaces a document's chunks; their search vectors in the organisation's text-search language. */
export async function replaceChunks(
  q: Q,
  orgId: string,
  docId: string,
  numberId: string | null,
  language: string,
  chunks: { ord: number; heading: string | null; text: string }[],
) {
  await q.execute(sql`delete from ai_knowledge_chunks where doc_id = ${docId}`);
  if (!chunks.length) return;
  await q.execute(
    sql`insert into ai_knowledge_chunks (doc_id, org_id, number_id, ord, heading, text, tsv)
        select ${docId}, ${orgId}, ${numberId}::uuid, c.ord, c.heading, c.text,
               to_tsvector(${language}::regconfig, coalesce(c.heading, '') || ' ' || c.text)
        from jsonb_to_recordset(${JSON.stringify(chunks)}::jsonb) as c(ord int, heading text, text text)`,
  );
}

/** Re-indexes every chunk of the organisation in a new language. */
export async function reindexChunks(q: Q, orgId: string, language: string) {
  await q.execute(
    sql`update ai_knowledge_chunks set tsv = to_tsvector(${language}::regconfig, coalesce(heading, '') || ' ' || text)
        where org_id = ${orgId}`,
  );
}

export interface PassageRow {
  chunk_id: number;
  doc_id: string;
  title: string;
  heading: string | null;
  text: string;
  rank: number;
}

/**
 * The best passages for some words: any of the words (an OR query, ranked by cover density), of
 * this organisation only, its org-wide documents and those of `numberId`. `words` hold only letters
 * and digits, so they cannot carry tsquery syntax.
 */
export function searchChunks(
  q: Q,
  orgId: string,
  numberId: string | null,
  language: string,
  words: string[],
  limit: number,
) {
  if (!words.length) return Promise.resolve([] as PassageRow[]);
  const query = words.join(' | ');
  return queryRows<PassageRow>(
    q,
    sql`select c.id as chunk_id, c.doc_id, d.title, c.heading, c.text, ts_rank_cd(c.tsv, t.q)::float8 as rank
        from to_tsquery(${language}::regconfig, ${query}) t(q)
        join ai_knowledge_chunks c on c.tsv @@ t.q
        join ai_knowledge_docs d on d.id = c.doc_id
        where c.org_id = ${orgId} and (c.number_id is null or c.number_id = ${numberId}::uuid)
        order by rank desc, c.id limit ${limit}`,
  );
}

// ---------------------------------------------------------------- calls

export interface CallWrite {
  orgId: string;
  numberId?: string | null;
  conversationId?: string | null;
  contactId?: string | null;
  messageId?: string | null;
  replyMessageId?: string | null;
  purpose: 'reply' | 'suggest' | 'label' | 'summary' | 'test';
  provider: string;
  model: string;
  inputTokens?: number;
  outputTokens?: number;
  latencyMs?: number | null;
  outcome: 'ok' | 'error' | 'handover' | 'skipped';
  detail?: string | null;
  cost?: number;
  currency: string;
  sources?: unknown;
}

export async function insertCall(q: Q, c: CallWrite) {
  await q.execute(
    sql`insert into ai_calls (org_id, number_id, conversation_id, contact_id, message_id, reply_message_id, purpose,
          provider, model, input_tokens, output_tokens, latency_ms, outcome, detail, cost, currency, sources)
        values (${c.orgId}, ${c.numberId ?? null}, ${c.conversationId ?? null}, ${c.contactId ?? null},
          ${c.messageId ?? null}, ${c.replyMessageId ?? null}, ${c.purpose}, ${c.provider}, ${c.model},
          ${c.inputTokens ?? 0}, ${c.outputTokens ?? 0}, ${c.latencyMs ?? null}, ${c.outcome},
          ${c.detail?.slice(0, 500) ?? null}, ${c.cost ?? 0}, ${c.currency},
          ${c.sources === undefined ? null : JSON.stringify(c.sources)}::jsonb)`,
  );
}

/** Tokens and cost since the start of today in the organisation's timezone. */
export async function usageToday(q: Q, orgId: string, timezone: string) {
  const [r] = await queryRows<{ tokens: number; cost: string; today: string }>(
    q,
    sql`select coalesce(sum(input_tokens + output_tokens), 0)::int as tokens, coalesce(sum(cost), 0)::text as cost,
               (now() at time zone ${timezone})::date::text as today
        from ai_calls
        where org_id = ${orgId} and at >= (date_trunc('day', now() at time zone ${timezone}) at time zone ${timezone})`,
  );
  return { tokens: r?.tokens ?? 0, cost: Number(r?.cost ?? 0), today: r?.today ?? '' };
}

export interface CallRow {
  id: number;
  at: Date | string;
  purpose: CallWrite['purpose'];
  outcome: CallWrite['outcome'];
  detail: string | null;
  number_id: string | null;
  conversation_id: string | null;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  latency_ms: number | null;
  cost: string;
  currency: string;
}

export function listCalls(
  q: Q,
  orgId: string,
  f: { purpose?: string; outcome?: string; from?: string; to?: string; beforeId?: number; limit: number },
) {
  return queryRows<CallRow>(
    q,
    sql`select id, at, purpose, outcome, detail, number_id, conversation_id, provider, model, input_tokens,
               output_tokens, latency_ms, cost::text as cost, currency
        from ai_calls
        where org_id = ${orgId}
          ${f.purpose ? sql`and purpose = ${f.purpose}` : sql``}
          ${f.outcome ? sql`and outcome = ${f.outcome}` : sql``}
          ${f.from ? sql`and at >= ${f.from}::timestamptz` : sql``}
          ${f.to ? sql`and at < ${f.to}::timestamptz` : sql``}
          ${f.beforeId ? sql`and id < ${f.beforeId}` : sql``}
        order by id desc limit ${f.limit}`,
  );
}

// ---------------------------------------------------------------- conversations, counters, labels

export interface ConversationAiRow {
  handed_over_at: Date | string | null;
  handover_reason: 'keyword' | 'model' | 'agent' | 'limit' | null;
  /** When AI last (re)started answering here: agent replies before it do not stop it. */
  since: Date | string | null;
}

export async function conversationState(
  q: Q,
  orgId: string,
  conversationId: string,
): Promise<ConversationAiRow> {
  const [r] = await queryRows<ConversationAiRow>(
    q,
    sql`select handed_over_at, handover_reason, updated_at as since from ai_conversations
        where org_id = ${orgId} and conversation_id = ${conversationId}`,
  );
  return r ?? { handed_over_at: null, handover_reason: null, since: null };
}

/** Hands the conversation to people; false when it already was. */
export async function markHandedOver(q: Q, orgId: string, conversationId: string, reason: string) {
  const rows = await queryRows<{ conversation_id: string }>(
    q,
    sql`insert into ai_conversations (conversation_id, org_id, handed_over_at, handover_reason)
        values (${conversationId}, ${orgId}, now(), ${reason})
        on conflict (conversation_id) do update set handed_over_at = now(), handover_reason = ${reason}, updated_at = now()
          where ai_conversations.handed_over_at is null
        returning conversation_id`,
  );
  return rows.length > 0;
}

export async function markHandedBack(q: Q, orgId: string, conversationId: string) {
  await q.execute(
    sql`insert into ai_conversations (conversation_id, org_id) values (${conversationId}, ${orgId})
        on conflict (conversation_id) do update set handed_over_at = null, handover_reason = null, updated_at = now()`,
  );
}

export async function contactReplies(q: Q, orgId: string, contactId: string) {
  const [r] = await queryRows<{ replies: number }>(
    q,
    sql`select replies from ai_contact_replies where org_id = ${orgId} and contact_id = ${contactId}`,
  );
  return r?.replies ?? 0;
}

export async function insertLabel(
  q: Q,
  orgId: string,
  conversationId: string,
  messageId: string,
  label: string,
) {
  await q.execute(
    sql`insert into ai_message_labels (message_id, org_id, conversation_id, label)
        values (${messageId}, ${orgId}, ${conversationId}, ${label}) on conflict (message_id) do nothing`,
  );
}

export function labelsOf(q: Q, orgId: string, conversationId: string) {
  return queryRows<{ message_id: string; label: string }>(
    q,
    sql`select message_id, label from ai_message_labels where org_id = ${orgId} and conversation_id = ${conversationId}`,
  );
}

export function sourcesOf(q: Q, orgId: string, conversationId: string) {
  return queryRows<{
    reply_message_id: string;
    sources: { doc_id: string; title: string; chunk_id: number }[];
  }>(
    q,
    sql`select reply_message_id, sources from ai_calls
        where org_id = ${orgId} and conversation_id = ${conversationId} and reply_message_id is not null
          and sources is not null`,
  );
}

// ---------------------------------------------------------------- pending replies (the durable debounce)

export interface PendingRow {
  conversation_id: string;
  org_id: string;
  number_id: string;
  contact_id: string;
  message_id: string;
  due_at: Date | string;
  attempts: number;
}

/**
 * A customer wrote: the conversation's reply is due `seconds` after this message (a burst pushes it
 * back) — unless the conversation is handed over to people. True when it is pending.
 */
export async function upsertPending(
  q: Q,
  p: {
    orgId: string;
    numberId: string;
    contactId: string;
    conversationId: string;
    messageId: string;
    seconds: number;
  },
) {
  const rows = await queryRows<{ conversation_id: string }>(
    q,
    sql`insert into ai_pending_replies (conversation_id, org_id, number_id, contact_id, message_id, due_at)
        select ${p.conversationId}, ${p.orgId}, ${p.numberId}, ${p.contactId}, ${p.messageId},
               now() + make_interval(secs => ${p.seconds})
        where not exists (select 1 from ai_conversations a
                          where a.conversation_id = ${p.conversationId} and a.handed_over_at is not null)
        on conflict (conversation_id) do update set message_id = excluded.message_id, due_at = excluded.due_at,
          number_id = excluded.number_id
        returning conversation_id`,
  );
  return rows.length > 0;
}

/**
 * Leases up to `limit` due replies nobody holds (a lease lapses after `leaseSeconds`: a process
 * that died holding one leaves it to the next sweep).
 */
export function leaseDue(q: Q, limit: number, leaseSeconds: number) {
  return queryRows<PendingRow>(
    q,
    sql`update ai_pending_replies p set lease_until = now() + make_interval(secs => ${leaseSeconds}), attempts = attempts + 1
        where p.conversation_id in (
          select conversation_id from ai_pending_replies
          where due_at <= now() and (lease_until is null or lease_until < now())
          order by due_at limit ${limit} for update skip locked)
        returning p.conversation_id, p.org_id, p.number_id, p.contact_id, p.message_id, p.due_at, p.attempts`,
  );
}

/** Ends a leased reply; false when a newer message took its place meanwhile (it is answered next). */
export async function finishPending(q: Q, conversationId: string, messageId: string) {
  const rows = await queryRows<{ conversation_id: string }>(
    q,
    sql`delete from ai_pending_replies where conversation_id = ${conversationId} and message_id = ${messageId}
        returning conversation_id`,
  );
  return rows.length > 0;
}

// ---------------------------------------------------------------- reads of the conversation

export interface ThreadMessage {
  id: string;
  direction: 'in' | 'out';
  type: string;
  content: Record<string, unknown>;
  source: string | null;
  wamid: string | null;
  sent_at: Date | string;
}

/** The conversation's last `n` messages, oldest first (what the model sees). */
export async function lastMessages(q: Q, orgId: string, conversationId: string, n: number) {
  const rows = await queryRows<ThreadMessage>(
    q,
    sql`select id, direction, type, content, source, wamid, sent_at from messages
        where org_id = ${orgId} and conversation_id = ${conversationId} and source is distinct from 'history'
        order by seq desc limit ${n}`,
  );
  return rows.reverse();
}

export interface ConversationFacts {
  conversation_id: string;
  number_id: string;
  contact_id: string;
  /** The customer's last message, for the 24-hour window. */
  last_inbound_at: Date | string | null;
  /** The newest message a person (inbox or API) sent here. */
  last_agent_at: Date | string | null;
}

export async function conversationFacts(
  q: Q,
  orgId: string,
  conversationId: string,
): Promise<ConversationFacts | null> {
  const [r] = await queryRows<ConversationFacts>(
    q,
    sql`select c.id as conversation_id, c.number_id, c.contact_id,
               (select max(sent_at) from messages m where m.conversation_id = c.id and m.direction = 'in'
                  and m.source is distinct from 'history') as last_inbound_at,
               (select max(created_at) from messages m where m.conversation_id = c.id and m.direction = 'out'
                  and m.source in ('inbox', 'api')) as last_agent_at
        from conversations c where c.org_id = ${orgId} and c.id = ${conversationId}`,
  );
  return r ?? null;
}

export async function messageOf(q: Q, orgId: string, messageId: string) {
  const [r] = await queryRows<{
    id: string;
    conversation_id: string;
    number_id: string;
    contact_id: string;
    direction: string;
    type: string;
    content: Record<string, unknown>;
  }>(
    q,
    sql`select m.id, m.conversation_id, m.number_id, c.contact_id, m.direction, m.type, m.content
        from messages m join conversations c on c.id = m.conversation_id
        where m.org_id = ${orgId} and m.id = ${messageId}`,
  );
  return r ?? null;
}

// ---------------------------------------------------------------- many at once (the sweep's batches)

export interface ReplyContext {
  conversation_id: string;
  mode: 'off' | 'suggest' | 'auto';
  system_prompt: string;
  handed_over_at: Date | string | null;
  since: Date | string | null;
  last_inbound_at: Date | string | null;
  last_agent_at: Date | string | null;
  replies: number;
}

/** What deciding a reply needs, for many conversations in one statement. */
export function replyContexts(q: Q, conversationIds: string[]) {
  return queryRows<ReplyContext>(
    q,
    sql`select c.id as conversation_id, coalesce(n.mode, 'off') as mode, coalesce(n.system_prompt, '') as system_prompt,
               a.handed_over_at, a.updated_at as since, coalesce(r.replies, 0) as replies,
               (select max(sent_at) from messages m where m.conversation_id = c.id and m.direction = 'in'
                  and m.source is distinct from 'history') as last_inbound_at,
               (select max(created_at) from messages m where m.conversation_id = c.id and m.direction = 'out'
                  and m.source in ('inbox', 'api')) as last_agent_at
        from unnest(${`{${conversationIds.join(',')}}`}::uuid[]) as x(id)
        join conversations c on c.id = x.id
        left join ai_number_settings n on n.number_id = c.number_id
        left join ai_conversations a on a.conversation_id = c.id
        left join ai_contact_replies r on r.contact_id = c.contact_id`,
  );
}

/** The last `n` messages of many conversations, oldest first within each. */
export async function lastMessagesOfMany(q: Q, conversationIds: string[], n: number) {
  const rows = await queryRows<ThreadMessage & { conversation_id: string }>(
    q,
    sql`select x.id as conversation_id, m.id, m.direction, m.type, m.content, m.source, m.wamid, m.sent_at
        from unnest(${`{${conversationIds.join(',')}}`}::uuid[]) as x(id)
        cross join lateral (
          select id, direction, type, content, source, wamid, sent_at, seq from messages
          where conversation_id = x.id and source is distinct from 'history'
          order by seq desc limit ${n}) m
        order by x.id, m.seq`,
  );
  const by = new Map<string, ThreadMessage[]>();
  for (const r of rows) {
    const list = by.get(r.conversation_id) ?? [];
    list.push(r);
    by.set(r.conversation_id, list);
  }
  return by;
}

/** The best passages for many queries of one organisation in one statement (see `searchChunks`). */
export async function searchMany(
  q: Q,
  orgId: string,
  language: string,
  queries: { key: string; numberId: string | null; words: string[] }[],
  limit: number,
) {
  const items = queries
    .filter((x) => x.words.length)
    .map((x) => ({ key: x.key, num: x.numberId, q: x.words.join(' | ') }));
  const by = new Map<string, PassageRow[]>();
  if (!items.length) return by;
  const rows = await queryRows<PassageRow & { key: string }>(
    q,
    sql`select x.key, p.*
        from jsonb_to_recordset(${JSON.stringify(items)}::jsonb) as x(key text, num uuid, q text)
        cross join lateral (
          select c.id as chunk_id, c.doc_id, d.title, c.heading, c.text, ts_rank_cd(c.tsv, t.q)::float8 as rank
          from to_tsquery(${language}::regconfig, x.q) t(q)
          join ai_knowledge_chunks c on c.tsv @@ t.q
          join ai_knowledge_docs d on d.id = c.doc_id
          where c.org_id = ${orgId} and (c.number_id is null or c.number_id = x.num)
          order by rank desc, c.id limit ${limit}) p`,
  );
  for (const r of rows) {
    const list = by.get(r.key) ?? [];
    list.push(r);
    by.set(r.key, list);
  }
  return by;
}

/** Ends many leased replies; the conversations whose row still named that message (the others got a newer one). */
export async function finishPendingMany(q: Q, items: { conversationId: string; messageId: string }[]) {
  const rows = await queryRows<{ conversation_id: string }>(
    q,
    sql`delete from ai_pending_replies p using jsonb_to_recordset(${JSON.stringify(
      items.map((i) => ({ c: i.conversationId, m: i.messageId })),
    )}::jsonb) as x(c uuid, m uuid)
        where p.conversation_id = x.c and p.message_id = x.m
        returning p.conversation_id`,
  );
  return new Set(rows.map((r) => r.conversation_id));
}

/** Newer messages arrived while these replies were generated: free their leases, so each is answered when due. */
export async function releasePendingMany(q: Q, conversationIds: string[]) {
  if (!conversationIds.length) return;
  await q.execute(
    sql`update ai_pending_replies set lease_until = null
        where conversation_id = any(${`{${conversationIds.join(',')}}`}::uuid[])`,
  );
}

/** One more AI reply for each of these contacts (a contact may appear more than once). */
export async function countRepliesMany(q: Q, orgId: string, contactIds: string[]) {
  if (!contactIds.length) return;
  await q.execute(
    sql`insert into ai_contact_replies (contact_id, org_id, replies)
        select x.id, ${orgId}, count(*) from unnest(${`{${contactIds.join(',')}}`}::uuid[]) as x(id) group by x.id
        on conflict (contact_id) do update set replies = ai_contact_replies.replies + excluded.replies`,
  );
}

export async function insertCalls(q: Q, calls: CallWrite[]) {
  if (!calls.length) return;
  const rows = calls.map((c) => ({
    org_id: c.orgId,
    number_id: c.numberId ?? null,
    conversation_id: c.conversationId ?? null,
    contact_id: c.contactId ?? null,
    message_id: c.messageId ?? null,
    reply_message_id: c.replyMessageId ?? null,
    purpose: c.purpose,
    provider: c.provider,
    model: c.model,
    input_tokens: c.inputTokens ?? 0,
    output_tokens: c.outputTokens ?? 0,
    latency_ms: c.latencyMs ?? null,
    outcome: c.outcome,
    detail: c.detail?.slice(0, 500) ?? null,
    cost: c.cost ?? 0,
    currency: c.currency,
    sources: c.sources === undefined ? null : c.sources,
  }));
  await q.execute(
    sql`insert into ai_calls (org_id, number_id, conversation_id, contact_id, message_id, reply_message_id, purpose,
          provider, model, input_tokens, output_tokens, latency_ms, outcome, detail, cost, currency, sources)
        select org_id, number_id, conversation_id, contact_id, message_id, reply_message_id, purpose, provider, model,
               input_tokens, output_tokens, latency_ms, outcome, detail, cost, currency, sources
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(org_id uuid, number_id uuid, conversation_id uuid,
          contact_id uuid, message_id uuid, reply_message_id uuid, purpose text, provider text, model text,
          input_tokens int, output_tokens int, latency_ms int, outcome text, detail text, cost numeric, currency text,
          sources jsonb)`,
  );
}
