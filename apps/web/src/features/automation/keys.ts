/** Query keys of automation: rules, business hours, flows and their runs. */
export const automationKeys = {
  rules: ['automation', 'rules'] as const,
  hours: ['automation', 'hours'] as const,
  hoursStatus: (o: { number_id?: string; team_id?: string }) => ['automation', 'hours', 'status', o] as const,
  flows: ['automation', 'flows'] as const,
  flow: (id: string) => ['automation', 'flows', id] as const,
  versions: (id: string) => ['automation', 'flows', id, 'versions'] as const,
  stats: (id: string) => ['automation', 'flows', id, 'stats'] as const,
  runs: ['automation', 'runs'] as const,
  runList: (filter: object) => ['automation', 'runs', 'list', filter] as const,
  run: (id: string) => ['automation', 'runs', 'one', id] as const,
};
