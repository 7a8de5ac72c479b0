export type { CastOptions, CustomerBehaviour, NumberInput, Seed, SimulatorOptions } from './config.ts';
export { Seed as SeedSchema } from './config.ts';
export type { CastHooks, ConversationStatus } from './core/cast.ts';
export { asyncError } from './errors.ts';
export { EVENT_KINDS, INBOUND_KINDS, OTHER_KINDS } from './events/index.ts';
export type { Faults } from './faults.ts';
export { escapeNonAscii, signWebhookBody } from './json.ts';
export { createSimulator, type Simulator } from './simulator.ts';
