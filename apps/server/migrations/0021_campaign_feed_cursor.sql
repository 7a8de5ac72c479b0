ALTER TABLE "campaigns" ADD COLUMN "fed_through" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Recipients are no longer rewritten to 'queued' when fed to the send queue: the campaign's cursor says
-- how far it was fed. A campaign fed before this (in id order) is fed through its last recipient that
-- was queued, sent or failed; its queued recipients are pending at or below the cursor.
UPDATE "campaigns" k SET "fed_through" = coalesce((SELECT max(r."id") FROM "campaign_recipients" r
  WHERE r."campaign_id" = k."id" AND r."state" IN ('queued', 'sent', 'failed')), 0);--> statement-breakpoint
UPDATE "campaign_recipients" SET "state" = 'pending' WHERE "state" = 'queued';
