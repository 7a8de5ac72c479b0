DROP INDEX "campaign_recipients_campaign_idx";--> statement-breakpoint
CREATE INDEX "campaign_recipients_campaign_idx" ON "campaign_recipients" USING btree ("campaign_id","state","id");