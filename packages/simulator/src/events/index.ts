/**
 * Builders for every webhook the simulator emits, shaped like Meta's (see shared/reference/cloud-api.md
 * §3 and the pywa fixtures), one file per kind of event. Each builder returns one `{field, value}`
 * change; `envelope.ts` wraps changes into the POST body. Key order is the order the control API lists.
 */
import { ACCOUNT_KINDS } from './account-updates.ts';
import { CALL_KINDS } from './calls.ts';
import type { Builder } from './context.ts';
import { ECHO_KINDS, HISTORY_KINDS, STATE_SYNC_KINDS } from './echoes.ts';
import { MESSAGE_KINDS } from './inbound-messages.ts';
import { REPLY_KINDS } from './inbound-replies.ts';
import { SYSTEM_KINDS } from './inbound-system.ts';
import { STATUS_KINDS } from './status.ts';
import { TEMPLATE_KINDS } from './template-updates.ts';
import { PREFERENCE_KINDS } from './user-preferences.ts';

export type { Change, Customer, EventContext, MediaRef, NumberRef } from './context.ts';
export { userId } from './context.ts';
export { batchEnvelope, envelope } from './envelope.ts';
export { type StatusInput, statusChange } from './status.ts';
export type { TemplateRef } from './template-updates.ts';

/** Messages a customer sends to the business (`messages[]` of field `messages`). */
export const INBOUND_KINDS: Record<string, Builder> = { ...MESSAGE_KINDS, ...REPLY_KINDS, ...SYSTEM_KINDS };

/** Events that are not customer messages. Template events take `template` (a TemplateRef) in params. */
export const OTHER_KINDS: Record<string, Builder> = {
  ...STATUS_KINDS,
  ...ECHO_KINDS,
  ...HISTORY_KINDS,
  ...STATE_SYNC_KINDS,
  ...PREFERENCE_KINDS,
  ...CALL_KINDS,
  ...TEMPLATE_KINDS,
  ...ACCOUNT_KINDS,
};

/** Fields Meta sends with `entry[].time` (everything that is not about messages or calls). */
export const TIMED_FIELDS = new Set([
  'message_template_status_update',
  'template_category_update',
  'message_template_quality_update',
  'message_template_components_update',
  'account_update',
  'phone_number_quality_update',
  'business_capability_update',
]);

export const EVENT_KINDS = { ...INBOUND_KINDS, ...OTHER_KINDS };
export type EventKind = keyof typeof EVENT_KINDS;
