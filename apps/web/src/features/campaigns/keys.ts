/** Query keys of campaigns; `all` is invalidated when a campaign starts or changes state. */
export const campaignKeys = {
  all: ['campaigns'] as const,
  list: ['campaigns', 'list'] as const,
  one: (id: string) => ['campaigns', 'one', id] as const,
  /** Every page and filter of one campaign's recipients. */
  recipients: (id: string) => ['campaigns', 'recipients', id] as const,
  recipientPages: (id: string, state: string) => ['campaigns', 'recipients', id, state] as const,
  /** The invalid rows a new draft shows before it is started. */
  invalidRecipients: (id: string) => ['campaigns', 'recipients', id, 'invalid-preview'] as const,
  report: (id: string) => ['campaigns', 'report', id] as const,
};
