DROP INDEX "conversations_org_last_idx";--> statement-breakpoint
DROP INDEX "conversations_org_assignee_idx";--> statement-breakpoint
CREATE INDEX "conversations_org_recent_idx" ON "conversations" USING btree ("org_id",coalesce("last_message_at", "created_at"),"id");--> statement-breakpoint
CREATE INDEX "conversations_org_assignee_recent_idx" ON "conversations" USING btree ("org_id","assignee_id",coalesce("last_message_at", "created_at"),"id");--> statement-breakpoint
CREATE INDEX "conversations_org_status_recent_idx" ON "conversations" USING btree ("org_id","status",coalesce("last_message_at", "created_at"),"id");--> statement-breakpoint
CREATE INDEX "conversations_contact_idx" ON "conversations" USING btree ("contact_id");--> statement-breakpoint
-- Trigram indexes for the inbox search (`ilike '%…%'` on contact names, phones, texts and captions).
-- pg_trgm is a trusted extension (a database owner may create it). Where it cannot be had — the
-- embedded database ships without it, or a role lacks the right — the indexes are left out and search
-- still works, by scanning.
DO $$
DECLARE
  ext_schema text;
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): inbox search runs without trigram indexes', SQLERRM;
  END;
  SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS "contacts_name_trgm_idx" ON "contacts" USING gin ("name" %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX IF NOT EXISTS "contacts_wa_id_trgm_idx" ON "contacts" USING gin ("wa_id" %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX IF NOT EXISTS "messages_text_trgm_idx" ON "messages" USING gin (("content"->''text''->>''body'') %I.gin_trgm_ops) WITH (gin_pending_list_limit = 128)', ext_schema);
    EXECUTE format('CREATE INDEX IF NOT EXISTS "messages_caption_trgm_idx" ON "messages" USING gin (("content"->("type")->>''caption'') %I.gin_trgm_ops) WITH (gin_pending_list_limit = 128)', ext_schema);
    -- A finer histogram of the texts: the planner estimates how many messages hold a word from it, and
    -- so chooses between walking the list (common words) and the index (rare ones). With the default a
    -- word in 1% of the messages could be estimated as absent, and searched the slow way.
    ALTER INDEX "messages_text_trgm_idx" ALTER COLUMN 1 SET STATISTICS 1000;
    ALTER INDEX "messages_caption_trgm_idx" ALTER COLUMN 1 SET STATISTICS 1000;
  END IF;
END $$;
