import { sql } from 'drizzle-orm';

/**
 * Whether the organisation has a spend or message cap set (an SQL fragment, so that a sender's
 * first read learns it without a round trip of its own): without one, `checkCaps` has nothing to
 * check and a batch of sends needs no savepoint to undo.
 */
export const capsSetSql = (orgId: string) =>
  sql`exists (select 1 from billing_caps where org_id = ${orgId}
              and (daily_message_cap is not null or monthly_spend_cap is not null))`;
