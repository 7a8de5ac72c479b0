/** Query keys of the organisation and of what its settings pages manage. */
export const orgKeys = { current: ['org'] as const };

/** The retention dry run, for a number of days typed. */
export const retentionKeys = {
  all: ['retention'] as const,
  preview: (days: number | null) => ['retention', 'preview', days] as const,
};

export const memberKeys = { all: ['members'] as const };
export const invitationKeys = { all: ['invitations'] as const };
export const teamKeys = { all: ['teams'] as const };
export const sessionKeys = { all: ['sessions'] as const };
/** Also the composer's: a change in settings shows up in `/shortcut` suggestions at once. */
export const quickReplyKeys = { all: ['quick-replies'] as const };

export const jobKeys = {
  all: ['jobs'] as const,
  list: (state: string) => ['jobs', state] as const,
};

export const auditKeys = {
  all: ['audit'] as const,
  list: (filters: object) => ['audit', filters] as const,
};

export const webhookEventKeys = {
  all: ['webhook-events'] as const,
  list: (state: string, limit: number) => ['webhook-events', state, limit] as const,
};

/** The organisation's caps and this month's spend. */
export const billingKeys = { all: ['billing'] as const, overview: ['billing', 'overview'] as const };

/** AI replies: the settings, each number's mode, the call log, the knowledge base. */
export const aiKeys = {
  all: ['ai'] as const,
  settings: ['ai', 'settings'] as const,
  numbers: ['ai', 'numbers'] as const,
  calls: (filters: object) => ['ai', 'calls', filters] as const,
  knowledge: ['ai', 'knowledge'] as const,
  knowledgeDoc: (id: string) => ['ai', 'knowledge', id] as const,
};

/** API keys: the list (never the keys themselves). */
export const apiKeyKeys = { all: ['api-keys'] as const };

/** Outbound webhook endpoints and their delivery logs. */
export const webhookKeys = {
  all: ['webhooks'] as const,
  endpoints: ['webhooks', 'endpoints'] as const,
  endpoint: (id: string) => ['webhooks', 'endpoints', id] as const,
  deliveries: (endpointId: string, filter: object) => ['webhooks', 'deliveries', endpointId, filter] as const,
  delivery: (id: string) => ['webhooks', 'delivery', id] as const,
};
