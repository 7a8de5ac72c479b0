/** Query keys of the organisation's connected numbers (one list, shared by every page). */
export const numberKeys = { all: ['numbers'] as const };
