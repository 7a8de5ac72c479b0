/** Query keys of message templates; `all` is invalidated on a sync, a status event or an edit. */
export const templateKeys = {
  all: ['templates'] as const,
  /** Every filtered list (the review step reads template names from any of them). */
  lists: ['templates', 'list'] as const,
  list: (filter?: object) => ['templates', 'list', filter] as const,
  one: (id: string) => ['templates', 'one', id] as const,
  history: (id: string) => ['templates', 'history', id] as const,
  render: (id: string, contactId: string, mapping: object) =>
    ['templates', 'render', id, contactId, mapping] as const,
};
