import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`);
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const orgs = pgTable('orgs', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** The owning organisation: every tenant table has one, and rows go with the organisation. */
const orgRef = () =>
  uuid('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });

export const orgSettings = pgTable('org_settings', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  timezone: text('timezone').notNull().default('UTC'),
  defaultRegion: text('default_region').notNull().default('US'),
  allowedCountries: text('allowed_countries').array().notNull().default(sql`'{}'::text[]`),
  retentionDays: integer('retention_days'),
  campaignCategories: text('campaign_categories')
    .array()
    .notNull()
    .default(sql`'{UTILITY,MARKETING}'::text[]`),
  /** Whether an agent opening a conversation tells WhatsApp the customer's messages were read. */
  readReceipts: boolean('read_receipts').notNull().default(true),
  /** Customers' phone numbers are masked for agents and viewers (dashboard, API, exports, events). */
  hidePhoneNumbers: boolean('hide_phone_numbers').notNull().default(false),
  /**
   * A MARKETING template for the Marketing Messages API when the number's WABA is not (or no longer)
   * onboarded: fallback (sent through /messages) | fail (not sent, with the reason).
   */
  marketingMessagesFallback: text('marketing_messages_fallback').notNull().default('fallback'),
  updatedAt: updatedAt(),
});

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }).notNull().defaultNow(),
    /** May create organisations and manage the install (the first owner is the first one). */
    instanceAdmin: boolean('instance_admin').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)],
);

export const memberships = pgTable(
  'memberships',
  {
    orgId: orgRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    /** When a conversation was last assigned to them: round-robin gives the next one to whoever waited longest. */
    lastAssignedAt: timestamp('last_assigned_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

export const invitations = pgTable(
  'invitations',
  {
    id: id(),
    orgId: orgRef(),
    email: text('email').notNull(),
    role: text('role').notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('invitations_token_hash_key').on(t.tokenHash),
    index('invitations_org_idx').on(t.orgId),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Every refresh token ever issued for a session; a used one presented again means theft. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: id(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_key').on(t.tokenHash),
    index('refresh_tokens_session_idx').on(t.sessionId),
  ],
);

/**
 * Password-check throttle: one row per key (an account, a client address, an account on a trusted
 * device). Failures are counted atomically in the row; each failure past the free ones doubles the wait.
 */
export const authThrottles = pgTable('auth_throttles', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  /** No password check for this key before then. */
  blockedUntil: timestamp('blocked_until', { withTimezone: true }),
  lastFailureAt: timestamp('last_failure_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Per-organisation event counter: its row lock orders event ids by commit. */
export const eventCounters = pgTable('event_counters', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  last: bigint('last', { mode: 'number' }).notNull().default(0),
});

/** Domain events, kept for a bounded time so that clients can catch up after a reconnect. */
export const events = pgTable(
  'events',
  {
    orgId: orgRef(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    /** Only this user may receive the event (e.g. their own notifications). */
    userId: uuid('user_id'),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.seq] }), index('events_created_at_idx').on(t.createdAt)],
);

export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    orgId: orgRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    title: text('title').notNull(),
    message: text('message').notNull(),
    actionUrl: text('action_url'),
    relatedEntityType: text('related_entity_type'),
    relatedEntityId: text('related_entity_id'),
    isRead: boolean('is_read').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_user_idx').on(t.orgId, t.userId, t.createdAt),
    index('notifications_unread_idx').on(t.orgId, t.userId).where(sql`not ${t.isRead}`),
    index('notifications_created_at_idx').on(t.createdAt),
  ],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    actorLabel: text('actor_label'),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
    ip: text('ip'),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_log_org_idx').on(t.orgId, t.id),
    index('audit_log_entity_idx').on(t.orgId, t.entityType, t.entityId),
  ],
);

/** A WhatsApp business phone number connected through the Cloud API. Secrets are sealed (lib/secret-box). */
export const numbers = pgTable(
  'numbers',
  {
    id: id(),
    orgId: orgRef(),
    displayName: text('display_name').notNull(),
    phoneNumberId: text('phone_number_id').notNull(),
    wabaId: text('waba_id').notNull(),
    accessTokenSealed: text('access_token_sealed').notNull(),
    appSecretSealed: text('app_secret_sealed').notNull(),
    verifyTokenSealed: text('verify_token_sealed').notNull(),
    /** The Meta app the access token belongs to, proven with the app secret when connected. */
    appId: text('app_id'),
    systemPrompt: text('system_prompt'),
    status: text('status').notNull().default('active'),
    inactiveReason: text('inactive_reason'),
    isSandbox: boolean('is_sandbox').notNull().default(false),
    displayPhoneNumber: text('display_phone_number'),
    verifiedName: text('verified_name'),
    qualityRating: text('quality_rating'),
    throughputLevel: text('throughput_level'),
    messagingLimitTier: text('messaging_limit_tier'),
    nameStatus: text('name_status'),
    healthCheckedAt: timestamp('health_checked_at', { withTimezone: true }),
    /**
     * The Meta business portfolio the number belongs to (its WABA's owner business): its numbers share
     * one daily limit of business-initiated unique users. Null: unknown (the number counts alone).
     */
    businessId: text('business_id'),
    businessName: text('business_name'),
    /** meta (read from the Graph) | manual (set in the number's settings: the Graph never overrides it) */
    businessIdSource: text('business_id_source'),
    /** Send MARKETING templates through the Marketing Messages API (a setting; needs the WABA onboarded). */
    marketingMessagesApi: boolean('marketing_messages_api').notNull().default(false),
    /** The WABA's Marketing Messages API onboarding status as Meta last said (e.g. ONBOARDED). */
    marketingMessagesStatus: text('marketing_messages_status'),
    /** The send rate the adaptive controller runs at now, shared by every campaign on the number. */
    maxSendRatePerSec: integer('max_send_rate_per_sec'),
    /** The last rate held for 5 minutes with under 1% errors; a new day starts at 90% of it. */
    lastStableRatePerSec: integer('last_stable_rate_per_sec'),
    /** The org-timezone day the rate belongs to (YYYY-MM-DD). */
    rateDay: text('rate_day'),
    /** The worker process sending for this number now (one at a time: the rate is per number). */
    sendHolder: text('send_holder'),
    sendLeaseUntil: timestamp('send_lease_until', { withTimezone: true }),
    /**
     * A coexistence number: the WhatsApp Business app and the API on one number (from the Graph's
     * `is_on_biz_app` / `platform_type`, or set by hand). Meta fixes its throughput at 20 msg/s.
     */
    coexistence: boolean('coexistence').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // One phone number id routes to exactly one number: webhooks are dispatched by it.
  (t) => [
    uniqueIndex('numbers_phone_number_id_idx').on(t.phoneNumberId),
    index('numbers_org_idx').on(t.orgId),
  ],
);

/** Health readings of a number over time (cron refresh and quality/account webhooks). */
export const numberHealth = pgTable(
  'number_health',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    qualityRating: text('quality_rating'),
    throughputLevel: text('throughput_level'),
    messagingLimitTier: text('messaging_limit_tier'),
    nameStatus: text('name_status'),
    event: text('event'),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('number_health_number_idx').on(t.numberId, t.recordedAt)],
);

/** Every webhook POST Meta sends, stored before it is answered, processed by a job. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    raw: text('raw').notNull(),
    /**
     * Fingerprint of the app secret that verified the body (an HMAC of the secret under the server
     * key, never the secret): changes are applied only to numbers whose secret has it. Null: stored
     * without a signature check (tools, tests) — nothing is routed.
     */
    signer: text('signer'),
    /** pending → processed | failed | unparseable */
    state: text('state').notNull().default('pending'),
    /** Organisations whose numbers the event touched (set by processing): who may see and replay it. */
    orgIds: uuid('org_ids').array().notNull().default(sql`'{}'::uuid[]`),
    result: jsonb('result'),
    error: text('error'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [index('webhook_events_state_idx').on(t.state, t.id)],
);

export const contacts = pgTable(
  'contacts',
  {
    id: id(),
    orgId: orgRef(),
    /**
     * The customer's WhatsApp address, unique per organisation: their phone's E.164 digits without
     * `+` when the phone is known, else their business-scoped user id (BSUID, `CC.…`, as `user_id`).
     * A message that brings the phone of a BSUID-only contact re-keys it to the phone (`link.ts`).
     * Every other row keyed by "wa_id" (consent ledger, campaign recipients, send queue) holds this
     * address too: digits are sent as `to`, a BSUID as `recipient` (`lib/address.ts`).
     */
    waId: text('wa_id').notNull(),
    /** E.164 (`+` and the wa_id) when the address is a phone; null for a BSUID-only contact. */
    phone: text('phone').generatedAlwaysAs(sql`case when wa_id ~ '^[0-9]+$' then '+' || wa_id end`),
    name: text('name'),
    /** The customer's business-scoped user id (BSUID), stored exactly as Meta sends it; unique per organisation. */
    userId: text('user_id'),
    /** The customer's WhatsApp username (shown where the phone would be when there is none). */
    username: text('username'),
    /** The parent BSUID (`CC.ENT.…`) shared across managed portfolios, when Meta names it. */
    parentUserId: text('parent_user_id'),
    /** ISO 3166-1 alpha-2 of the phone, when known (set when a person or an import enters the phone). */
    country: text('country'),
    /** Custom field values by key, typed per `custom_fields` (validated on every write). */
    fields: jsonb('fields').notNull().default(sql`'{}'::jsonb`),
    lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
    lastOutboundAt: timestamp('last_outbound_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('contacts_org_wa_idx').on(t.orgId, t.waId),
    uniqueIndex('contacts_org_user_idx').on(t.orgId, t.userId).where(sql`${t.userId} is not null`),
    index('contacts_org_created_idx').on(t.orgId, t.createdAt, t.id),
    // Inbox search (`ilike '%…%'`); created only where pg_trgm is available (see migration 0015).
    // Short pending lists (kB, migration 0020): an inbound message updates its contact, and every
    // search read the whole pending list (MBs) while the insert that flushed it stalled its batch.
    index('contacts_name_trgm_idx')
      .using('gin', sql`${t.name} gin_trgm_ops`)
      .with({ gin_pending_list_limit: 128 }),
    index('contacts_wa_id_trgm_idx')
      .using('gin', sql`${t.waId} gin_trgm_ops`)
      .with({ gin_pending_list_limit: 128 }),
    index('contacts_username_trgm_idx')
      .using('gin', sql`${t.username} gin_trgm_ops`)
      .with({ gin_pending_list_limit: 128 }),
  ],
);

/** Labels on contacts; names are unique per organisation whatever their case. */
export const tags = pgTable(
  'tags',
  {
    id: id(),
    orgId: orgRef(),
    name: text('name').notNull(),
    color: text('color'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('tags_org_name_idx').on(t.orgId, sql`lower(${t.name})`)],
);

export const contactTags = pgTable(
  'contact_tags',
  {
    orgId: orgRef(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    tagId: uuid('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.contactId, t.tagId] }),
    index('contact_tags_tag_idx').on(t.tagId, t.contactId),
  ],
);

/** Typed custom field definitions (text, number, date, boolean, enum with options). */
export const customFields = pgTable(
  'custom_fields',
  {
    id: id(),
    orgId: orgRef(),
    key: text('key').notNull(),
    label: text('label').notNull(),
    type: text('type').notNull(),
    options: text('options').array(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('custom_fields_org_key_idx').on(t.orgId, t.key)],
);

/** A saved contact filter (the same filter the list and bulk actions take). */
export const segments = pgTable(
  'segments',
  {
    id: id(),
    orgId: orgRef(),
    name: text('name').notNull(),
    filter: jsonb('filter').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('segments_org_name_idx').on(t.orgId, sql`lower(${t.name})`)],
);

/**
 * The consent ledger: append-only, the source of truth of a contact's consent (the latest event
 * wins). Keyed by the WhatsApp id so that a STOP outlives the deletion of its contact.
 */
export const optInEvents = pgTable(
  'opt_in_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    waId: text('wa_id').notNull(),
    /** opt_in | opt_out */
    kind: text('kind').notNull(),
    /** import | api | web_form | keyword | manual */
    source: text('source').notNull(),
    proof: text('proof'),
    actorUserId: uuid('actor_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** The inbound message that carried a keyword: recorded once however often it is replayed. */
    messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('opt_in_events_wa_idx').on(t.orgId, t.waId, t.id),
    index('opt_in_events_contact_idx').on(t.orgId, t.contactId),
    // Deleting a contact sets its ledger rows' contact_id to null: that lookup needs contact_id first.
    index('opt_in_events_contact_fk_idx').on(t.contactId),
    uniqueIndex('opt_in_events_message_idx').on(t.messageId),
    // Reports: opt-ins and opt-outs of a period.
    index('opt_in_events_org_created_idx').on(t.orgId, t.createdAt),
  ],
);

/**
 * The marketing preference ledger: a customer's stop or resume of marketing messages from one number
 * (Meta's `user_preferences` webhook), append-only, the latest per contact and number wins. A stop
 * refuses MARKETING templates from that number; utility, authentication and service messages still go.
 */
export const marketingPreferenceEvents = pgTable(
  'marketing_preference_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    waId: text('wa_id').notNull(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    /** stop | resume */
    value: text('value').notNull(),
    detail: text('detail'),
    /** When the customer changed it (the webhook's timestamp). */
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    webhookEventId: bigint('webhook_event_id', { mode: 'number' }),
    changeIndex: integer('change_index'),
    createdAt: createdAt(),
  },
  (t) => [
    index('marketing_preference_events_wa_idx').on(t.orgId, t.waId, t.numberId, t.id),
    index('marketing_preference_events_contact_idx').on(t.contactId),
    // A replayed webhook records its preference once.
    uniqueIndex('marketing_preference_events_replay_idx').on(
      t.webhookEventId,
      t.changeIndex,
      t.numberId,
      t.waId,
    ),
  ],
);

/**
 * What is kept of an erased contact's consent (GDPR erasure): the opt-out proof, under a hashed
 * phone, so a later import or message of the same phone stays opted out.
 */
export const consentTombstones = pgTable(
  'consent_tombstones',
  {
    orgId: orgRef(),
    /** HMAC of the E.164 digits under the server key. */
    phoneHash: text('phone_hash').notNull(),
    optedOutAt: timestamp('opted_out_at', { withTimezone: true }).notNull(),
    /** The opt-out ledger row as it was (source, proof, time), without the phone. */
    proof: jsonb('proof').notNull(),
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.phoneHash] })],
);

/** Per-organisation consent settings (no row: the defaults). */
export const contactSettings = pgTable('contact_settings', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  /** Null: the built-in list (see contacts/keywords.ts). */
  optOutKeywords: text('opt_out_keywords').array(),
  optInKeywords: text('opt_in_keywords').array(),
  /** Sent back after a STOP once the send path exists; null: no reply. */
  stopConfirmationText: text('stop_confirmation_text'),
  updatedAt: updatedAt(),
});

export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    orgId: orgRef(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    /** open | pending | resolved | snoozed (until `snoozedUntil`, then open again). */
    status: text('status').notNull().default('open'),
    snoozedUntil: timestamp('snoozed_until', { withTimezone: true }),
    /** The agent who owns it; null is unassigned. */
    assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    /** Inbound messages not yet read by anyone (agents' own unread is in conversation_reads). */
    unreadCount: integer('unread_count').notNull().default(0),
    /** Arrival order (messages.seq) of the newest inbound message: an agent has unread ones past their read mark. */
    lastInboundSeq: bigint('last_inbound_seq', { mode: 'number' }),
    lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
    windowExpiresAt: timestamp('window_expires_at', { withTimezone: true }),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }),
    /** The first Click-to-WhatsApp ad or post the customer came from (`referral`, with `ctwa_clid`). */
    referral: jsonb('referral'),
    /** The free entry-point window a Click-to-WhatsApp referral opened (72 h): messages in it cost nothing. */
    freeEntryUntil: timestamp('free_entry_until', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('conversations_number_contact_idx').on(t.numberId, t.contactId),
    // The inbox's order (most recent first, then id): a page is read off the index, whatever the filter.
    index('conversations_org_recent_idx').on(
      t.orgId,
      sql`coalesce(${t.lastMessageAt}, ${t.createdAt})`,
      t.id,
    ),
    index('conversations_org_assignee_recent_idx').on(
      t.orgId,
      t.assigneeId,
      sql`coalesce(${t.lastMessageAt}, ${t.createdAt})`,
      t.id,
    ),
    index('conversations_org_status_recent_idx').on(
      t.orgId,
      t.status,
      sql`coalesce(${t.lastMessageAt}, ${t.createdAt})`,
      t.id,
    ),
    // Inbox search by contact, and deleting a contact (its conversations go with it).
    index('conversations_contact_idx').on(t.contactId),
  ],
);

/** Where each agent has read a conversation up to: their own unread count, apart from WhatsApp's read receipts. */
export const conversationReads = pgTable(
  'conversation_reads',
  {
    orgId: orgRef(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The newest message (arrival order) the agent has seen. */
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull(),
    readAt: timestamp('read_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId] })],
);

/** Internal notes on a conversation: never sent to the customer. */
export const conversationNotes = pgTable(
  'conversation_notes',
  {
    id: id(),
    orgId: orgRef(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    /** Users @mentioned (notified). */
    mentions: jsonb('mentions').notNull().default(sql`'[]'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [
    index('conversation_notes_conversation_idx').on(t.conversationId, t.createdAt),
    // The reports' fold reads the newest notes by time (notes per agent).
    index('conversation_notes_created_idx').on(t.createdAt),
  ],
);

/**
 * Every time a conversation was resolved (by an agent, or by automation: `resolvedBy` null), with its
 * assignee then: written by the conversations domain in the transaction that sets the status, read
 * by the agents report (first response and resolution times, docs/reports.md).
 */
export const conversationResolutions = pgTable(
  'conversation_resolutions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    numberId: uuid('number_id').notNull(),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('conversation_resolutions_conversation_idx').on(t.conversationId, t.resolvedAt),
    // The reports' fold reads the newest by time.
    index('conversation_resolutions_resolved_at_idx').on(t.resolvedAt),
  ],
);

export const conversationTags = pgTable(
  'conversation_tags',
  {
    orgId: orgRef(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    tagId: uuid('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.tagId] }),
    index('conversation_tags_tag_idx').on(t.tagId, t.conversationId),
  ],
);

/** Canned answers agents insert with `/shortcut`; `{{contact.name}}` and `{{contact.field.key}}` are filled in. */
/** Teams of agents: round-robin assignment can go to the next online member of one. */
export const teams = pgTable(
  'teams',
  {
    id: id(),
    orgId: orgRef(),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('teams_org_name_idx').on(t.orgId, sql`lower(${t.name})`)],
);

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] })],
);

export const quickReplies = pgTable(
  'quick_replies',
  {
    id: id(),
    orgId: orgRef(),
    shortcut: text('shortcut').notNull(),
    body: text('body').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('quick_replies_org_shortcut_idx').on(t.orgId, t.shortcut)],
);

export const messages = pgTable(
  'messages',
  {
    id: id(),
    orgId: orgRef(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    direction: text('direction').notNull(),
    /** Meta's id; null for an outbound message not yet accepted by Meta (queued or failed before). */
    wamid: text('wamid'),
    type: text('type').notNull(),
    content: jsonb('content').notNull(),
    contextWamid: text('context_wamid'),
    status: text('status'),
    error: jsonb('error'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    /** Who sent it — campaign | inbox | api | automation | system | business_app (the WhatsApp Business app of a coexistence number, never sent by us); `history`: an inbound message back-filled from the app's history. */
    source: text('source'),
    campaignId: uuid('campaign_id'),
    authorUserId: uuid('author_user_id'),
    /**
     * Outbound: the expected cost when queued (billing/cost.ts, the rate card in force), its currency
     * and the category it was priced as (marketing | utility | authentication | service | free).
     */
    costExpected: numeric('cost_expected', { precision: 14, scale: 6 }),
    costCurrency: text('cost_currency'),
    costCategory: text('cost_category'),
    /** Outbound: what Meta billed, from the status webhook's `pricing` (the latest reported). */
    pricingBillable: boolean('pricing_billable'),
    pricingModel: text('pricing_model'),
    pricingCategory: text('pricing_category'),
    /** regular | free_customer_service | free_entry_point */
    pricingType: text('pricing_type'),
    /** Arrival order: WhatsApp timestamps are whole seconds, so this breaks ties within one. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('messages_number_wamid_idx').on(t.numberId, t.wamid),
    index('messages_conversation_idx').on(t.conversationId, t.sentAt, t.seq),
    // Spend and caps: an organisation's outbound messages by time.
    index('messages_org_outbound_idx').on(t.orgId, t.createdAt).where(sql`${t.direction} = 'out'`),
    // Reports: the fold reads new messages by arrival order (reports/, docs/adr/0026).
    index('messages_seq_idx').on(t.seq),
    // Inbox search in texts and captions (`ilike '%…%'`); created only where pg_trgm is available (see
    // migration 0015): the embedded database searches without them. A short pending list (kB): every
    // inbound message is indexed, and a long one made the insert that flushed it stall the inbound batch.
    index('messages_text_trgm_idx')
      .using('gin', sql`(${t.content}->'text'->>'body') gin_trgm_ops`)
      .with({ gin_pending_list_limit: 128 }),
    index('messages_caption_trgm_idx')
      .using('gin', sql`(${t.content}->(${t.type})->>'caption') gin_trgm_ops`)
      .with({ gin_pending_list_limit: 128 }),
  ],
);

/** Every status Meta reported, applied or parked until its message exists. */
export const messageStatusEvents = pgTable(
  'message_status_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    wamid: text('wamid').notNull(),
    status: text('status').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    payload: jsonb('payload').notNull(),
    applied: boolean('applied').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('message_status_events_dedup_idx').on(t.numberId, t.wamid, t.status, t.occurredAt),
    index('message_status_events_parked_idx').on(t.numberId, t.wamid).where(sql`not ${t.applied}`),
    // Reconciling a send whose answer was lost: its status carries our attempt id.
    index('message_status_events_callback_idx')
      .on(sql`(${t.payload}->>'biz_opaque_callback_data')`)
      .where(sql`not ${t.applied}`),
  ],
);

/** A received media file: fetched from Meta by a job, kept in the media store, served to the org. */
export const mediaFiles = pgTable(
  'media_files',
  {
    id: id(),
    orgId: orgRef(),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    /** Meta's media id (valid 7 days after the message). */
    metaMediaId: text('meta_media_id').notNull(),
    state: text('state').notNull().default('pending'),
    mimeType: text('mime_type'),
    sha256: text('sha256'),
    size: integer('size'),
    storageKey: text('storage_key'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    createdAt: createdAt(),
    downloadedAt: timestamp('downloaded_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('media_files_message_idx').on(t.messageId),
    index('media_files_pending_idx').on(t.createdAt).where(sql`${t.state} = 'pending'`),
  ],
);

/**
 * A file an agent sent, uploaded to Meta once per number: the same bytes (sha256) sent again reuse
 * Meta's media id while it lives (30 days). The file stays in the media store so the thread shows it.
 */
export const outboundMedia = pgTable(
  'outbound_media',
  {
    id: id(),
    orgId: orgRef(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    sha256: text('sha256').notNull(),
    metaMediaId: text('meta_media_id').notNull(),
    type: text('type').notNull(),
    mimeType: text('mime_type').notNull(),
    size: integer('size').notNull(),
    filename: text('filename'),
    storageKey: text('storage_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('outbound_media_number_sha_idx').on(t.numberId, t.sha256),
    index('outbound_media_meta_idx').on(t.numberId, t.metaMediaId),
  ],
);

/**
 * Account-level notices from Meta, kept as received: template status, category and quality changes,
 * account updates. The templates domain acts on them; admins can read them.
 */
export const metaUpdates = pgTable(
  'meta_updates',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    numberId: uuid('number_id').references(() => numbers.id, { onDelete: 'set null' }),
    wabaId: text('waba_id').notNull(),
    field: text('field').notNull(),
    payload: jsonb('payload').notNull(),
    /** The raw webhook event and the change's position in it: replays do not record twice. */
    webhookEventId: bigint('webhook_event_id', { mode: 'number' }).notNull(),
    changeIndex: integer('change_index').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('meta_updates_dedup_idx').on(t.webhookEventId, t.changeIndex, t.orgId),
    index('meta_updates_org_idx').on(t.orgId, t.field, t.createdAt),
  ],
);

/**
 * A contact file being imported: uploaded to a temporary file under DATA_DIR, previewed, then imported
 * by a job in one transaction. The file is deleted when the import ends (or by the purge if abandoned).
 */
export const contactImports = pgTable(
  'contact_imports',
  {
    id: id(),
    orgId: orgRef(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    filename: text('filename').notNull(),
    /** The uploaded file under DATA_DIR; null once deleted. */
    path: text('path'),
    /** csv | xlsx */
    format: text('format').notNull(),
    /** What the reader saw: encoding, headers, sample rows, warnings (see contact-import/service). */
    inspection: jsonb('inspection').notNull(),
    /** uploaded | queued | running | completed | failed */
    state: text('state').notNull().default('uploaded'),
    /** contacts: a contact import; campaign: a campaign's audience file, read once when the campaign is created and then deleted. */
    purpose: text('purpose').notNull().default('contacts'),
    /** The confirmed ImportOptions. */
    options: jsonb('options'),
    totalRows: integer('total_rows').notNull().default(0),
    processed: integer('processed').notNull().default(0),
    counts: jsonb('counts'),
    error: text('error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('contact_imports_org_idx').on(t.orgId, t.createdAt),
    index('contact_imports_path_idx').on(t.updatedAt).where(sql`${t.path} is not null`),
  ],
);

/** The rows an import left out (bad phone or value, repeated phone), for the reject report. */
export const contactImportRejects = pgTable(
  'contact_import_rejects',
  {
    importId: uuid('import_id')
      .notNull()
      .references(() => contactImports.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
    rowNumber: integer('row_number').notNull(),
    value: text('value').notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.rowNumber] })],
);

/** The organisation's catalogue of WhatsApp templates, synced from Meta per WABA. */
export const templates = pgTable(
  'templates',
  {
    id: id(),
    orgId: orgRef(),
    wabaId: text('waba_id').notNull(),
    metaId: text('meta_id').notNull(),
    name: text('name').notNull(),
    language: text('language').notNull(),
    status: text('status').notNull(),
    category: text('category').notNull(),
    parameterFormat: text('parameter_format').notNull().default('POSITIONAL'),
    components: jsonb('components').notNull(),
    qualityScore: text('quality_score'),
    rejectedReason: text('rejected_reason'),
    subCategory: text('sub_category'),
    /** False once the template is gone at Meta: kept (campaigns reference it), never deleted. */
    active: boolean('active').notNull().default(true),
    quarantined: boolean('quarantined').notNull().default(false),
    quarantineReason: text('quarantine_reason'),
    quarantinedAt: timestamp('quarantined_at', { withTimezone: true }),
    lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('templates_org_waba_meta_idx').on(t.orgId, t.wabaId, t.metaId),
    index('templates_org_name_idx').on(t.orgId, t.name, t.language),
  ],
);

/** Every category transition of a template (and announced ones), with where it was seen. */
export const templateCategoryChanges = pgTable(
  'template_category_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    templateId: uuid('template_id')
      .notNull()
      .references(() => templates.id, { onDelete: 'cascade' }),
    fromCategory: text('from_category'),
    toCategory: text('to_category').notNull(),
    /** sync | webhook | announcement */
    source: text('source').notNull(),
    /** For announcements: when Meta says the change takes effect. */
    effectiveAt: timestamp('effective_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('template_category_changes_template_idx').on(t.templateId, t.createdAt)],
);

/** A template campaign: audience, template(s) and variables, schedule, and where it is in its life. */
export const campaigns = pgTable(
  'campaigns',
  {
    id: id(),
    orgId: orgRef(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** draft | scheduled | running | paused | completed | stopped | failed */
    state: text('state').notNull().default('draft'),
    /** How the audience was given: { kind: contacts | csv | api, … } */
    audience: jsonb('audience').notNull(),
    /** [{ template_id, name, language, category, mapping, share? }] */
    templates: jsonb('templates').notNull(),
    /** sequential (even chunks, remainder to the last) | ab (by ratio) */
    split: text('split').notNull().default('sequential'),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    pausedReason: text('paused_reason'),
    failureReason: text('failure_reason'),
    /** Time-to-live of MARKETING templates sent through the Marketing Messages API (seconds); null: Meta's default. */
    marketingTtlSeconds: integer('marketing_ttl_seconds'),
    /** Most the campaign may spend (rate-card currency); null: no cap. */
    spendCap: numeric('spend_cap', { precision: 14, scale: 6 }),
    /** The last pre-flight: checks, skipped counts, budget, estimated cost. */
    preflight: jsonb('preflight'),
    /**
     * The feed cursor: the recipients up to this id were put on the send queue (in id order). A
     * pending recipient at or below it is queued; one above it waits to be fed.
     */
    fedThrough: bigint('fed_through', { mode: 'number' }).notNull().default(0),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('campaigns_org_created_idx').on(t.orgId, t.createdAt),
    index('campaigns_scheduled_idx').on(t.scheduledAt).where(sql`${t.state} = 'scheduled'`),
  ],
);

/** One recipient of a campaign, kept after the campaign with its validation result and outcome. */
export const campaignRecipients = pgTable(
  'campaign_recipients',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    /** Null when the phone was invalid. */
    waId: text('wa_id'),
    /** The phone as given (CSV cell, API value). */
    input: text('input').notNull(),
    rowNumber: integer('row_number'),
    templateIndex: integer('template_index').notNull().default(0),
    /** Per-recipient template parameters (Meta's `components`), rendered when the campaign is built. */
    params: jsonb('params'),
    /**
     * pending | sent | failed | skipped | invalid (delivery and read come from the message). "Queued"
     * is not stored: it is a pending recipient at or below its campaign's `fed_through`.
     */
    state: text('state').notNull().default('pending'),
    reason: text('reason'),
    error: jsonb('error'),
    messageId: uuid('message_id'),
    wamid: text('wamid'),
    attempts: integer('attempts').notNull().default(0),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Per state in list order: the next pending chunk to queue is read off the index.
    index('campaign_recipients_campaign_idx').on(t.campaignId, t.state, t.id),
    uniqueIndex('campaign_recipients_campaign_wa_idx').on(t.campaignId, t.waId),
  ],
);

/**
 * The send queue: every outbound message waiting for (or in the middle of) its request to Meta.
 * Workers claim rows with FOR UPDATE SKIP LOCKED; a row leaves the queue when its outcome is known.
 */
export const sendQueue = pgTable(
  'send_queue',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    /** The outbound message row (recorded in the conversation when queued). */
    messageId: uuid('message_id').notNull(),
    campaignId: uuid('campaign_id').references(() => campaigns.id, { onDelete: 'cascade' }),
    recipientId: bigint('recipient_id', { mode: 'number' }),
    toWaId: text('to_wa_id').notNull(),
    /** What to send: a MessageContent. */
    content: jsonb('content').notNull(),
    replyTo: text('reply_to'),
    /** 0: people waiting (inbox, API); 1: campaigns, in order of their start. */
    priority: integer('priority').notNull().default(0),
    runOrder: bigint('run_order', { mode: 'number' }).notNull().default(0),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull().defaultNow(),
    /** Held by a worker until then; a lease that ran out means the worker died. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    /** The current attempt, recorded before the request and sent as biz_opaque_callback_data. */
    attemptId: uuid('attempt_id'),
    attempts: integer('attempts').notNull().default(0),
    /** Set when an attempt's outcome is unknown: reconciled from status webhooks until then + window. */
    unknownSince: timestamp('unknown_since', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('send_queue_claim_idx').on(t.numberId, t.priority, t.runOrder, t.id),
    index('send_queue_campaign_idx').on(t.campaignId),
    // The sweep's look-ups: claims whose lease ran out, sends whose outcome is unknown.
    index('send_queue_lease_idx').on(t.leaseUntil).where(sql`${t.leaseUntil} is not null`),
    index('send_queue_unknown_idx').on(t.unknownSince).where(sql`${t.unknownSince} is not null`),
    uniqueIndex('send_queue_attempt_idx').on(t.attemptId),
  ],
);

// ---- Billing (apps/server/src/billing) ------------------------------------------------------------

/**
 * Meta's rate card, dated: one rate per market (ISO country, or `*` for every other), category and
 * effective day. The rate in force at a time is the latest effective on or before it. Instance-wide.
 */
export const rateCards = pgTable(
  'rate_cards',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    effectiveFrom: date('effective_from', { mode: 'string' }).notNull(),
    market: text('market').notNull(),
    category: text('category').notNull(),
    rate: numeric('rate', { precision: 14, scale: 6 }).notNull(),
    currency: text('currency').notNull(),
    source: text('source'),
    importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('rate_cards_key_idx').on(t.market, t.category, t.effectiveFrom)],
);

/** An organisation's caps: outbound messages per day, expected spend per month (null: none). */
export const billingCaps = pgTable('billing_caps', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  dailyMessageCap: integer('daily_message_cap'),
  monthlySpendCap: numeric('monthly_spend_cap', { precision: 14, scale: 6 }),
  updatedAt: updatedAt(),
});

/** A cap warning sent (80 % reached): once per cap, subject and period. */
export const billingAlerts = pgTable(
  'billing_alerts',
  {
    orgId: orgRef(),
    /** daily_messages | monthly_spend | campaign_spend */
    kind: text('kind').notNull(),
    /** The organisation, or the campaign id for campaign_spend. */
    subject: text('subject').notNull(),
    /** The day or month (YYYY-MM-DD / YYYY-MM), or `all` for a campaign. */
    period: text('period').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.kind, t.subject, t.period] })],
);

// ---------------------------------------------------------------- automation (docs/automation.md)

/** Keyword rules: matched by priority against a customer's text or button/list reply. */
export const automationRules = pgTable(
  'automation_rules',
  {
    id: id(),
    orgId: orgRef(),
    name: text('name').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    priority: integer('priority').notNull().default(100),
    /** TextMatch: { kind, patterns }. */
    match: jsonb('match').notNull(),
    /** Null = every number. */
    numberIds: uuid('number_ids').array(),
    cooldownMinutes: integer('cooldown_minutes').notNull().default(0),
    /** always | open | closed (business hours). */
    hours: text('hours').notNull().default('always'),
    actions: jsonb('actions').notNull(),
    continueChain: boolean('continue_chain').notNull().default(false),
    matchedCount: bigint('matched_count', { mode: 'number' }).notNull().default(0),
    lastMatchedAt: timestamp('last_matched_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('automation_rules_org_priority_idx').on(t.orgId, t.priority, t.createdAt)],
);

/** When a rule last fired for a contact (its cooldown). */
export const automationRuleHits = pgTable(
  'automation_rule_hits',
  {
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => automationRules.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.contactId] })],
);

/** Business hours: the organisation's default (no number, no team), one number's, or one team's. */
export const businessHours = pgTable(
  'business_hours',
  {
    id: id(),
    orgId: orgRef(),
    name: text('name').notNull(),
    numberId: uuid('number_id').references(() => numbers.id, { onDelete: 'cascade' }),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    /** IANA zone; null = the organisation's. */
    timezone: text('timezone'),
    /** { mon: [{ from, to }], … }. */
    weekly: jsonb('weekly').notNull(),
    /** [{ date, name, open: [{ from, to }] }]. */
    closures: jsonb('closures').notNull().default(sql`'[]'::jsonb`),
    awayMessage: text('away_message'),
    awayEveryHours: integer('away_every_hours').notNull().default(24),
    welcomeMessage: text('welcome_message'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('business_hours_scope_idx').on(
      t.orgId,
      sql`coalesce(${t.numberId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      sql`coalesce(${t.teamId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
    ),
  ],
);

/** When an automatic reply of a kind (away, welcome) last went to a contact on a number. */
export const automationReplyMarks = pgTable(
  'automation_reply_marks',
  {
    orgId: orgRef(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    numberId: uuid('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.contactId, t.numberId, t.kind] })],
);

/**
 * The exactly-once claim of an inbound message by the automation chain: inserted in the same
 * transaction as what the chain did. A message without a row (the process died before the
 * reaction) is found by the sweep. Rows older than two days are purged.
 */
export const automationHandled = pgTable(
  'automation_handled',
  {
    messageId: uuid('message_id').primaryKey(),
    orgId: orgRef(),
    /** consent | waiting_run | rule | flow_trigger | hours | nothing | skipped. */
    handledBy: text('handled_by').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('automation_handled_at_idx').on(t.at)],
);

export const flows = pgTable('flows', {
  id: id(),
  orgId: orgRef(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  /** The draft graph (FlowGraph JSON). */
  draft: jsonb('draft').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  publishedVersion: integer('published_version'),
  publishedAt: timestamp('published_at', { withTimezone: true }),
  /** The published version's trigger node, copied for matching: { kind, match, reply_id, campaign_id, number_ids }. */
  trigger: jsonb('trigger'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Published versions, immutable: a run follows the version it started on. */
export const flowVersions = pgTable(
  'flow_versions',
  {
    flowId: uuid('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    orgId: orgRef(),
    graph: jsonb('graph').notNull(),
    publishedBy: uuid('published_by').references(() => users.id, { onDelete: 'set null' }),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.flowId, t.version] })],
);

/**
 * A contact's way through a flow. One active (active or waiting) run per contact and number; a
 * waiting run is resumed by the contact's reply or, past `due_at`, by the due sweep (SKIP LOCKED).
 */
export const flowRuns = pgTable(
  'flow_runs',
  {
    id: id(),
    orgId: orgRef(),
    flowId: uuid('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    /** The published version, or 0 for a test run of the draft (its graph is in `testGraph`). */
    version: integer('version').notNull(),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'cascade' }),
    numberId: uuid('number_id').references(() => numbers.id, { onDelete: 'cascade' }),
    /** active | waiting | completed | stopped | failed. */
    status: text('status').notNull(),
    currentNode: text('current_node'),
    /** reply | delay | http, while waiting. */
    waitingFor: text('waiting_for'),
    dueAt: timestamp('due_at', { withTimezone: true }),
    vars: jsonb('vars').notNull().default(sql`'{}'::jsonb`),
    /** Node state (an ask's retries, the last reply). */
    state: jsonb('state').notNull().default(sql`'{}'::jsonb`),
    steps: integer('steps').notNull().default(0),
    test: boolean('test').notNull().default(false),
    /** A test run: the graph it runs, the shadow contact and the chat transcript. */
    testGraph: jsonb('test_graph'),
    transcript: jsonb('transcript'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endReason: text('end_reason'),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('flow_runs_one_active_idx')
      .on(t.contactId, t.numberId)
      .where(sql`status in ('active', 'waiting') and not test`),
    index('flow_runs_due_idx').on(t.dueAt).where(sql`status = 'waiting' and due_at is not null`),
    index('flow_runs_org_flow_idx').on(t.orgId, t.flowId, t.startedAt),
    index('flow_runs_org_contact_idx').on(t.orgId, t.contactId),
  ],
);

/** A run's execution log: each node entered, its outcome, input and error. */
export const flowRunSteps = pgTable(
  'flow_run_steps',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: uuid('run_id')
      .notNull()
      .references(() => flowRuns.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
    flowId: uuid('flow_id').notNull(),
    version: integer('version').notNull(),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    /** entered | completed | dropped | timed_out | error | waiting. */
    outcome: text('outcome').notNull(),
    input: jsonb('input'),
    detail: text('detail'),
    error: text('error'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('flow_run_steps_run_idx').on(t.runId, t.id),
    index('flow_run_steps_flow_idx').on(t.flowId, t.version, t.nodeId),
  ],
);

// ------------------------------------------------------------------ AI replies (issue 23): ai/

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** The organisation's model: provider, sealed key, budget, limits, labels. One row per organisation. */
export const aiSettings = pgTable('ai_settings', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  /** openai | anthropic | openai_compatible */
  provider: text('provider').notNull().default('openai'),
  model: text('model').notNull().default('gpt-4o-mini'),
  baseUrl: text('base_url'),
  /** The API key sealed like number tokens (lib/secret-box.ts); never returned. */
  apiKeySealed: text('api_key_sealed'),
  apiKeyHint: text('api_key_hint'),
  /** Tokens a day (organisation's timezone), input + output; null: no budget. */
  dailyTokenBudget: integer('daily_token_budget'),
  /** Price per million tokens, in `currency`, for the cost shown in the log. */
  priceInputPerMtok: numeric('price_input_per_mtok', { precision: 12, scale: 4 }).notNull().default('0'),
  priceOutputPerMtok: numeric('price_output_per_mtok', { precision: 12, scale: 4 }).notNull().default('0'),
  currency: text('currency').notNull().default('USD'),
  /** AI replies a customer gets for life, across all numbers. */
  maxRepliesPerContact: integer('max_replies_per_contact').notNull().default(40),
  /** Messages within this many seconds get one reply. */
  debounceSeconds: integer('debounce_seconds').notNull().default(4),
  handoverKeywords: text('handover_keywords').array().notNull().default(sql`'{agent,human}'::text[]`),
  /** Where a handed-over conversation goes: a team's round-robin, or the organisation's (null). */
  handoverTeamId: uuid('handover_team_id'),
  replyMaxChars: integer('reply_max_chars').notNull().default(700),
  labelsEnabled: boolean('labels_enabled').notNull().default(true),
  labels: text('labels')
    .array()
    .notNull()
    .default(sql`'{question,order status,complaint,sales lead,spam,other}'::text[]`),
  /** Text search configuration of the knowledge base (simple, english, spanish, …). */
  searchLanguage: text('search_language').notNull().default('simple'),
  /** The circuit breaker, shared by every process: failures in a row, and closed again at. */
  failuresInRow: integer('failures_in_row').notNull().default(0),
  breakerOpenUntil: timestamp('breaker_open_until', { withTimezone: true }),
  /** The day (org timezone) the 80 % budget notice was sent. */
  budgetNoticeOn: date('budget_notice_on'),
  updatedAt: updatedAt(),
});

/** A number's AI mode and system prompt. No row: off. */
export const aiNumberSettings = pgTable('ai_number_settings', {
  numberId: uuid('number_id')
    .primaryKey()
    .references(() => numbers.id, { onDelete: 'cascade' }),
  orgId: orgRef(),
  /** off | suggest | auto */
  mode: text('mode').notNull().default('off'),
  systemPrompt: text('system_prompt').notNull().default(''),
  updatedAt: updatedAt(),
});

/** A knowledge entry written in the dashboard or a document uploaded; its text is in chunks. */
export const aiKnowledgeDocs = pgTable(
  'ai_knowledge_docs',
  {
    id: id(),
    orgId: orgRef(),
    /** Null: every number of the organisation. */
    numberId: uuid('number_id').references(() => numbers.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /** entry | text | markdown | pdf | docx */
    format: text('format').notNull(),
    filename: text('filename'),
    body: text('body').notNull(),
    chars: integer('chars').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('ai_knowledge_docs_org_idx').on(t.orgId, t.createdAt)],
);

export const aiKnowledgeChunks = pgTable(
  'ai_knowledge_chunks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    docId: uuid('doc_id')
      .notNull()
      .references(() => aiKnowledgeDocs.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
    numberId: uuid('number_id'),
    ord: integer('ord').notNull(),
    heading: text('heading'),
    text: text('text').notNull(),
    tsv: tsvector('tsv').notNull(),
  },
  (t) => [
    index('ai_knowledge_chunks_tsv_idx').using('gin', t.tsv),
    index('ai_knowledge_chunks_org_idx').on(t.orgId, t.docId),
  ],
);

/** Every model call: what for, tokens, latency, outcome and cost (Settings → AI log). */
export const aiCalls = pgTable(
  'ai_calls',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgRef(),
    numberId: uuid('number_id'),
    conversationId: uuid('conversation_id'),
    contactId: uuid('contact_id'),
    /** The customer message it answered or labelled; the reply it sent. */
    messageId: uuid('message_id'),
    replyMessageId: uuid('reply_message_id'),
    /** reply | suggest | label | summary | test */
    purpose: text('purpose').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    latencyMs: integer('latency_ms'),
    /** ok | error | handover | skipped */
    outcome: text('outcome').notNull(),
    detail: text('detail'),
    cost: numeric('cost', { precision: 14, scale: 6 }).notNull().default('0'),
    currency: text('currency').notNull().default('USD'),
    /** Knowledge passages given to the model: [{ doc_id, title, chunk_id }]. */
    sources: jsonb('sources'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('ai_calls_org_at_idx').on(t.orgId, t.at), index('ai_calls_reply_idx').on(t.replyMessageId)],
);

/** A conversation's AI state: handed over to people (AI silent) until an agent hands it back. */
export const aiConversations = pgTable('ai_conversations', {
  conversationId: uuid('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  orgId: orgRef(),
  handedOverAt: timestamp('handed_over_at', { withTimezone: true }),
  /** keyword | model | agent | limit */
  handoverReason: text('handover_reason'),
  updatedAt: updatedAt(),
});

/** AI replies a contact got, for life (the limit counts across numbers and survives retention). */
export const aiContactReplies = pgTable('ai_contact_replies', {
  contactId: uuid('contact_id')
    .primaryKey()
    .references(() => contacts.id, { onDelete: 'cascade' }),
  orgId: orgRef(),
  replies: integer('replies').notNull().default(0),
});

/**
 * The durable debounce: a conversation whose customer wrote and awaits an AI reply at `due_at`
 * (pushed back by each new message). The worker's sweep leases due rows; the reply's transaction
 * deletes the row, so each burst is answered once even across crashes.
 */
export const aiPendingReplies = pgTable(
  'ai_pending_replies',
  {
    conversationId: uuid('conversation_id')
      .primaryKey()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
    numberId: uuid('number_id').notNull(),
    contactId: uuid('contact_id').notNull(),
    /** The newest customer message of the burst. */
    messageId: uuid('message_id').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('ai_pending_replies_due_idx').on(t.dueAt)],
);

/** Intent labels of customers' messages (filterable in the inbox). */
export const aiMessageLabels = pgTable(
  'ai_message_labels',
  {
    messageId: uuid('message_id')
      .primaryKey()
      .references(() => messages.id, { onDelete: 'cascade' }),
    orgId: orgRef(),
    conversationId: uuid('conversation_id').notNull(),
    label: text('label').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('ai_message_labels_conv_idx').on(t.conversationId, t.label)],
);

// ------------------------------------------------------------------ API keys (issue 24): api-keys/

/**
 * Keys for code (`Authorization: Bearer owk_…`): shown once, stored as a SHA-256 hash (a key is 32
 * random bytes: no dictionary to guess from) with a visible prefix. A key acts with the permissions in
 * `scopes`, and never more than its creator's current role in the organisation.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    orgId: orgRef(),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the key (`owk_` and 8 more), shown in lists to tell keys apart. */
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    /** Permissions of the permission table the key may use. */
    scopes: text('scopes').array().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    lastUsedIp: text('last_used_ip'),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.hash), index('api_keys_org_idx').on(t.orgId, t.createdAt)],
);

/**
 * API rate limits (auth/rate-limit.ts): requests per principal (person or API key) and per
 * organisation in fixed one-minute windows, counted here so every api process shares one count.
 */
export const rateLimitHits = pgTable(
  'rate_limit_hits',
  {
    /** `p:<user or key id>` or `o:<org id>`. */
    key: text('key').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.key, t.windowStart] }),
    index('rate_limit_hits_window_idx').on(t.windowStart),
  ],
);

/**
 * `Idempotency-Key` (idempotency/): the answer to a POST that created something, kept 24 hours per
 * organisation, caller and key, so a retried request gets the same answer instead of a second copy.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    orgId: orgRef(),
    /** `<user or API key id>:<method> <route>:<key>`. */
    scope: text('scope').notNull(),
    /** SHA-256 of the method, URL and body: the same key with another request is refused. */
    fingerprint: text('fingerprint').notNull(),
    /** Null while the first request is being answered. */
    status: integer('status'),
    contentType: text('content_type'),
    body: text('body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.scope] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

// ------------------------------------------------------------ outbound webhooks (issue 24): webhooks/

/**
 * Endpoints an organisation's events are posted to (Standard Webhooks). Secrets are sealed with the
 * secret box; `previous_secret` keeps signing until `previous_secret_expires_at` (rotation overlap).
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: id(),
    orgId: orgRef(),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    eventTypes: text('event_types').array().notNull(),
    /** active | paused (by a person) | disabled (by openwaba: 410, or failing for days). */
    status: text('status').notNull().default('active'),
    disabledReason: text('disabled_reason'),
    ordered: boolean('ordered').notNull().default(false),
    maxConcurrency: integer('max_concurrency').notNull().default(10),
    secretSealed: text('secret_sealed').notNull(),
    secretPrefix: text('secret_prefix').notNull(),
    previousSecretSealed: text('previous_secret_sealed'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    failingSince: timestamp('failing_since', { withTimezone: true }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhook_endpoints_org_idx').on(t.orgId, t.createdAt)],
);

/** How far each organisation's events have been fanned out into deliveries (the outbox cursor). */
export const webhookCursors = pgTable('webhook_cursors', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  last: bigint('last', { mode: 'number' }).notNull().default(0),
});

/**
 * One event for one endpoint: the payload as sent, its state and its retry clock. `event_id` is the
 * `webhook-id` header, the same on every retry and replay. `next_attempt_at` is the lease's end while
 * `delivering`.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    orgId: orgRef(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    /** The organisation's event sequence number (null for test events): the order per conversation. */
    eventSeq: bigint('event_seq', { mode: 'number' }),
    eventType: text('event_type').notNull(),
    conversationId: uuid('conversation_id'),
    payload: jsonb('payload').notNull(),
    /** pending | delivering | succeeded | retrying | dead */
    state: text('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).defaultNow(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_idx').on(t.endpointId, t.eventId),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
    index('webhook_deliveries_due_idx')
      .on(t.endpointId, t.nextAttemptAt, t.eventSeq)
      .where(sql`state in ('pending', 'retrying', 'delivering')`),
    /** What is in flight to an endpoint (its concurrency), counted at each lease. */
    index('webhook_deliveries_in_flight_idx')
      .on(t.endpointId, t.nextAttemptAt)
      .where(sql`state = 'delivering'`),
    index('webhook_deliveries_conversation_idx')
      .on(t.endpointId, t.conversationId, t.eventSeq)
      .where(sql`state in ('pending', 'retrying', 'delivering') and conversation_id is not null`),
    index('webhook_deliveries_created_idx').on(t.createdAt),
  ],
);

/** Every request made for a delivery: status, latency, the first 1 KB of the answer, or the error. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    responseExcerpt: text('response_excerpt'),
    error: text('error'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attemptedAt)],
);
// ---- Reports (the reports domain: docs/reports.md, docs/adr/0026) --------------------------------

/**
 * What the rollups count of each message, as last folded: its bucket (day and hour in the
 * organisation's timezone, number, template, category, direction), how far it got, whether it was
 * replied to, its failure code and cost. The fold compares a message with its fact and moves the
 * rollups by the difference, so folding twice counts once. Facts outlive their messages (retention):
 * the rollups are the record.
 */
export const reportMessageFacts = pgTable(
  'report_message_facts',
  {
    messageId: uuid('message_id').primaryKey(),
    orgId: orgRef(),
    numberId: uuid('number_id').notNull(),
    day: date('day').notNull(),
    hour: integer('hour').notNull(),
    direction: text('direction').notNull(),
    /** '' for a free-form message. */
    template: text('template').notNull(),
    language: text('language').notNull(),
    /** Meta's pricing category (else the one it was priced as); '' inbound. */
    category: text('category').notNull(),
    country: text('country').notNull(),
    /** Outbound: accepted by Meta (it has a wamid). */
    accepted: boolean('accepted').notNull(),
    /** 0 pending or none, 1 sent, 2 delivered, 3 read, 4 failed. */
    state: integer('state').notNull(),
    replied: boolean('replied').notNull(),
    /** Meta's error code of a failed message ('' none). */
    errorCode: text('error_code').notNull(),
    cost: numeric('cost', { precision: 14, scale: 6 }).notNull(),
    /** An outbound message not yet out of the send queue: re-read by every fold until it is. */
    watch: boolean('watch').notNull(),
    /**
     * The contact's tags when the fold first counted the message (docs/adr/0029): kept on every
     * refold, so a tag added or removed later does not move the message; a rebuild takes them anew.
     */
    tags: uuid('tags').array().notNull().default(sql`'{}'::uuid[]`),
    /**
     * Outbound accepted by Meta: the minute it was accepted (`messages.sent_at`, organisation's
     * timezone) — the throughput rollups count it there. Null otherwise.
     */
    minute: timestamp('minute'),
  },
  (t) => [
    index('report_message_facts_org_day_idx').on(t.orgId, t.day),
    index('report_message_facts_watch_idx').on(t.messageId).where(sql`${t.watch}`),
  ],
);

/** Per organisation × day × number × template × category × direction (day in the organisation's timezone). */
export const reportDaily = pgTable(
  'report_daily',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    template: text('template').notNull(),
    language: text('language').notNull(),
    category: text('category').notNull(),
    direction: text('direction').notNull(),
    /** Outbound sends that reached Meta or failed (the failure rate's base). */
    attempted: integer('attempted').notNull().default(0),
    sent: integer('sent').notNull().default(0),
    delivered: integer('delivered').notNull().default(0),
    read: integer('read').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    inbound: integer('inbound').notNull().default(0),
    replied: integer('replied').notNull().default(0),
    paid: integer('paid').notNull().default(0),
    cost: numeric('cost', { precision: 16, scale: 6 }).notNull().default('0'),
  },
  (t) => [
    primaryKey({
      columns: [t.orgId, t.day, t.numberId, t.template, t.language, t.category, t.direction],
    }),
  ],
);

const rollupCounts = () => ({
  attempted: integer('attempted').notNull().default(0),
  sent: integer('sent').notNull().default(0),
  delivered: integer('delivered').notNull().default(0),
  read: integer('read').notNull().default(0),
  failed: integer('failed').notNull().default(0),
  inbound: integer('inbound').notNull().default(0),
  replied: integer('replied').notNull().default(0),
  /** Outbound accepted and not failed: the messages the cost is of. */
  paid: integer('paid').notNull().default(0),
  cost: numeric('cost', { precision: 16, scale: 6 }).notNull().default('0'),
});

/** `report_daily` summed per number and direction (the overview and numbers reports: few rows a day). */
export const reportDailyNumbers = pgTable(
  'report_daily_numbers',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    direction: text('direction').notNull(),
    ...rollupCounts(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.numberId, t.direction] })],
);

/** `report_daily` of template messages summed over numbers (the templates report of every number). */
export const reportDailyTemplates = pgTable(
  'report_daily_templates',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    template: text('template').notNull(),
    language: text('language').notNull(),
    ...rollupCounts(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.template, t.language] })],
);

/** Failed messages by Meta's error code, per the same bucket as `report_daily`. */
export const reportDailyFailures = pgTable(
  'report_daily_failures',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    template: text('template').notNull(),
    language: text('language').notNull(),
    category: text('category').notNull(),
    errorCode: text('error_code').notNull(),
    failed: integer('failed').notNull().default(0),
  },
  (t) => [
    primaryKey({
      columns: [t.orgId, t.day, t.numberId, t.template, t.language, t.category, t.errorCode],
    }),
  ],
);

/** Messages per hour of the day (organisation's timezone): inbound, and outbound accepted by Meta. */
export const reportHourly = pgTable(
  'report_hourly',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    hour: integer('hour').notNull(),
    numberId: uuid('number_id').notNull(),
    direction: text('direction').notNull(),
    messages: integer('messages').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.hour, t.numberId, t.direction] })],
);

/** Spend per day × number × category × the contact's country (outbound accepted, not failed, billable). */
export const reportSpendDaily = pgTable(
  'report_spend_daily',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    category: text('category').notNull(),
    country: text('country').notNull(),
    messages: integer('messages').notNull().default(0),
    cost: numeric('cost', { precision: 16, scale: 6 }).notNull().default('0'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.numberId, t.category, t.country] })],
);

/** `report_hourly` summed over numbers (inbound by hour of the whole organisation). */
export const reportHourlyAll = pgTable(
  'report_hourly_all',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    hour: integer('hour').notNull(),
    direction: text('direction').notNull(),
    messages: integer('messages').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.hour, t.direction] })],
);

/** `report_spend_daily` summed over numbers (spend by category, country and day of the whole organisation). */
export const reportSpendAll = pgTable(
  'report_spend_all',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    category: text('category').notNull(),
    country: text('country').notNull(),
    messages: integer('messages').notNull().default(0),
    cost: numeric('cost', { precision: 16, scale: 6 }).notNull().default('0'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.category, t.country] })],
);

// Per contact tag (docs/adr/0029): the message figures again, per tag the message's contact carried
// when it was first counted. A message with two tags counts once under each; no tag, under none.

/** Per tag × day × number × direction: the overview, numbers and spend-by-number reports of a tag. */
export const reportTagNumbers = pgTable(
  'report_tag_numbers',
  {
    orgId: orgRef(),
    tagId: uuid('tag_id').notNull(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    direction: text('direction').notNull(),
    ...rollupCounts(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.tagId, t.day, t.numberId, t.direction] })],
);

/** Per tag × day × number × template: outbound template messages (the templates report of a tag). */
export const reportTagTemplates = pgTable(
  'report_tag_templates',
  {
    orgId: orgRef(),
    tagId: uuid('tag_id').notNull(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    template: text('template').notNull(),
    language: text('language').notNull(),
    ...rollupCounts(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.tagId, t.day, t.numberId, t.template, t.language] })],
);

/** Failed messages of a tag by Meta's error code (top failures, the templates' failures). */
export const reportTagFailures = pgTable(
  'report_tag_failures',
  {
    orgId: orgRef(),
    tagId: uuid('tag_id').notNull(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    template: text('template').notNull(),
    language: text('language').notNull(),
    errorCode: text('error_code').notNull(),
    failed: integer('failed').notNull().default(0),
  },
  (t) => [
    primaryKey({
      columns: [t.orgId, t.tagId, t.day, t.numberId, t.template, t.language, t.errorCode],
    }),
  ],
);

/** Messages of a tag per hour of the day (inbound, and outbound accepted by Meta). */
export const reportTagHourly = pgTable(
  'report_tag_hourly',
  {
    orgId: orgRef(),
    tagId: uuid('tag_id').notNull(),
    day: date('day').notNull(),
    hour: integer('hour').notNull(),
    numberId: uuid('number_id').notNull(),
    direction: text('direction').notNull(),
    messages: integer('messages').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.tagId, t.day, t.hour, t.numberId, t.direction] })],
);

/** Spend of a tag per day × number × category × country. */
export const reportTagSpend = pgTable(
  'report_tag_spend',
  {
    orgId: orgRef(),
    tagId: uuid('tag_id').notNull(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    category: text('category').notNull(),
    country: text('country').notNull(),
    messages: integer('messages').notNull().default(0),
    cost: numeric('cost', { precision: 16, scale: 6 }).notNull().default('0'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.tagId, t.day, t.numberId, t.category, t.country] })],
);

/**
 * What the agents report counts (docs/reports.md, docs/adr/0028), one row per event: an agent's reply
 * (`reply`, source: the message), a first response of an episode (`first_response`, the message;
 * `seconds` since the episode began), a note (`note`, the note), a resolution (`resolution`, the
 * conversation_resolutions id; `seconds` since the episode began, null when none was open). `bucket`:
 * the duration's histogram bucket. The key makes folding twice count once; facts outlive their sources.
 */
export const reportAgentFacts = pgTable(
  'report_agent_facts',
  {
    kind: text('kind').notNull(),
    sourceId: text('source_id').notNull(),
    orgId: orgRef(),
    conversationId: uuid('conversation_id').notNull(),
    numberId: uuid('number_id').notNull(),
    /** The agent credited; null: nobody (automation with no assignee, a deleted author). */
    userId: uuid('user_id'),
    day: date('day').notNull(),
    seconds: integer('seconds'),
    bucket: integer('bucket'),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.sourceId] }),
    index('report_agent_facts_org_day_idx').on(t.orgId, t.day),
    // "Handled": whether the agent already replied in or resolved the conversation that day.
    index('report_agent_facts_handled_idx').on(t.conversationId, t.userId, t.day),
  ],
);

/** Per conversation: the episode open now (since the customer's message that began it), as folded. */
export const reportAgentConversations = pgTable('report_agent_conversations', {
  conversationId: uuid('conversation_id').primaryKey(),
  orgId: orgRef(),
  openSince: timestamp('open_since', { withTimezone: true }),
  responded: boolean('responded').notNull().default(false),
  /** The latest resolution: a customer's message before it never begins an episode. */
  closedAt: timestamp('closed_at', { withTimezone: true }),
});

const agentCounts = () => ({
  handled: integer('handled').notNull().default(0),
  replies: integer('replies').notNull().default(0),
  notes: integer('notes').notNull().default(0),
  firstResponses: integer('first_responses').notNull().default(0),
  firstResponseSeconds: bigint('first_response_seconds', { mode: 'number' }).notNull().default(0),
  resolutions: integer('resolutions').notNull().default(0),
  resolutionSeconds: bigint('resolution_seconds', { mode: 'number' }).notNull().default(0),
});

/** Per organisation × day × agent × number: the agents report's counts. */
export const reportAgentDaily = pgTable(
  'report_agent_daily',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    userId: uuid('user_id').notNull(),
    numberId: uuid('number_id').notNull(),
    ...agentCounts(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.userId, t.numberId] })],
);

/** `report_agent_daily` summed over numbers. */
export const reportAgentDailyAll = pgTable(
  'report_agent_daily_all',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    userId: uuid('user_id').notNull(),
    ...agentCounts(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.userId] })],
);

/**
 * Histograms of first response and resolution times (kind `first_response` | `resolution`) per
 * organisation × day × agent × number: `bucket` b holds durations in [2^(b/8), 2^((b+1)/8)) seconds
 * (-1: under a second), so a median or p90 over any range is read from a few rows.
 */
export const reportAgentDurations = pgTable(
  'report_agent_durations',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    userId: uuid('user_id').notNull(),
    numberId: uuid('number_id').notNull(),
    kind: text('kind').notNull(),
    bucket: integer('bucket').notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.userId, t.numberId, t.kind, t.bucket] })],
);

/** `report_agent_durations` summed over numbers. */
export const reportAgentDurationsAll = pgTable(
  'report_agent_durations_all',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    userId: uuid('user_id').notNull(),
    kind: text('kind').notNull(),
    bucket: integer('bucket').notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.userId, t.kind, t.bucket] })],
);

/** How far the agents fold has read notes and resolutions (one row, id `agents`). */
export const reportAgentMarks = pgTable('report_agent_marks', {
  id: text('id').primaryKey(),
  readAt: timestamp('read_at', { withTimezone: true }).notNull(),
});

/**
 * Messages Meta accepted per number per minute (the minute of acceptance, organisation's timezone):
 * what the day's peak is computed from.
 */
export const reportNumberMinutes = pgTable(
  'report_number_minutes',
  {
    orgId: orgRef(),
    numberId: uuid('number_id').notNull(),
    minute: timestamp('minute').notNull(),
    day: date('day').notNull(),
    accepted: integer('accepted').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.numberId, t.minute] }),
    index('report_number_minutes_day_idx').on(t.orgId, t.day),
  ],
);

/** The busiest minute of each number each day (messages Meta accepted in it): the throughput reached. */
export const reportNumberPeaks = pgTable(
  'report_number_peaks',
  {
    orgId: orgRef(),
    day: date('day').notNull(),
    numberId: uuid('number_id').notNull(),
    peak: integer('peak').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.numberId] })],
);

/**
 * The changes of each number's quality rating and messaging tier, from the numbers domain's health
 * readings (`number_health`, read through the number service): one row per reading that changed a
 * value (`previous` is the value before; null at the first reading).
 */
export const reportNumberHealth = pgTable(
  'report_number_health',
  {
    healthId: bigint('health_id', { mode: 'number' }).notNull(),
    /** `quality` or `tier`. */
    kind: text('kind').notNull(),
    orgId: orgRef(),
    numberId: uuid('number_id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    value: text('value').notNull(),
    previous: text('previous'),
  },
  (t) => [
    primaryKey({ columns: [t.healthId, t.kind] }),
    index('report_number_health_number_idx').on(t.orgId, t.numberId, t.kind, t.at),
  ],
);

/**
 * Status events the fold read before their message had its wamid (parked): kept until they are
 * applied (their message is folded again then) or are too old to be (docs/adr/0026, settling).
 */
export const reportParkedEvents = pgTable('report_parked_events', {
  eventId: bigint('event_id', { mode: 'number' }).primaryKey(),
  seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Transactions still open when the fold's message window moved past the messages they may insert
 * (seq in (seq_from, seq_to]): when one ends, that range is read again for messages without a fact.
 */
export const reportOpenInserts = pgTable('report_open_inserts', {
  xid: text('xid').primaryKey(),
  seqFrom: bigint('seq_from', { mode: 'number' }).notNull(),
  seqTo: bigint('seq_to', { mode: 'number' }).notNull(),
  seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The fold's progress (one row, id `fold`): how far it has read messages and status events (a window
 * behind is read again each time, for transactions that committed late), and the rebuild lock.
 */
export const reportState = pgTable('report_state', {
  id: text('id').primaryKey(),
  seqLow: bigint('seq_low', { mode: 'number' }).notNull().default(0),
  seqMark: bigint('seq_mark', { mode: 'number' }).notNull().default(0),
  seqHigh: bigint('seq_high', { mode: 'number' }).notNull().default(0),
  eventLow: bigint('event_low', { mode: 'number' }).notNull().default(0),
  eventMark: bigint('event_mark', { mode: 'number' }).notNull().default(0),
  eventHigh: bigint('event_high', { mode: 'number' }).notNull().default(0),
  rotatedAt: timestamp('rotated_at', { withTimezone: true }).notNull().defaultNow(),
  /** The first transaction id not yet started at the last rotation (`report_open_inserts`). */
  xidMark: text('xid_mark'),
  /** The last `number_health` record folded into `report_number_health`. */
  healthMark: bigint('health_mark', { mode: 'number' }).notNull().default(0),
  foldedAt: timestamp('folded_at', { withTimezone: true }),
  rebuildStartedAt: timestamp('rebuild_started_at', { withTimezone: true }),
});
