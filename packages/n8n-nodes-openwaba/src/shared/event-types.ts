/**
 * openwaba's outbound webhook event types when this package was built: the trigger's fallback when
 * the server's catalogue (`GET /api/v1/webhooks/event-types`) cannot be read. The package stands alone
 * (it is installed into n8n, not next to openwaba), so it keeps its own copy; a test compares it with
 * `WEBHOOK_EVENT_TYPES` in `@openwaba/contracts`.
 */
export const WEBHOOK_EVENT_TYPES: readonly string[] = [
  'message.received',
  'message.status_updated',
  'message.media_updated',
  'conversation.updated',
  'conversation.assigned',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.consent_changed',
  'contact.opted_in',
  'contact.opted_out',
  'contacts.bulk_updated',
  'contacts.import_progress',
  'campaign.progress',
  'campaign.completed',
  'template.status_updated',
  'template.category_updated',
  'template.quality_updated',
  'number.health_updated',
  'job.failed',
  'org.updated',
  'member.changed',
];

/** Sent by openwaba's "Send test event"; the trigger passes it on whatever types were chosen. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';
