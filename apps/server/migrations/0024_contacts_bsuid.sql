ALTER TABLE "contacts" ALTER COLUMN "phone" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" drop column "phone";--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "phone" text GENERATED ALWAYS AS (case when wa_id ~ '^[0-9]+$' then '+' || wa_id end) STORED;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "username" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "parent_user_id" text;--> statement-breakpoint
-- Hand-written (data): a BSUID held by two contacts of one organisation is kept by the most recently written one.
UPDATE "contacts" c SET "user_id" = NULL WHERE c."user_id" IS NOT NULL AND EXISTS (SELECT 1 FROM "contacts" o WHERE o."org_id" = c."org_id" AND o."user_id" = c."user_id" AND (o."updated_at", o."id") > (c."updated_at", c."id"));--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_org_user_idx" ON "contacts" USING btree ("org_id","user_id") WHERE "contacts"."user_id" is not null;--> statement-breakpoint
-- Hand-written (replaces drizzle-kit's statement): the username's trigram index, like the others of
-- migration 0015, only where pg_trgm exists (search still works without it, by scanning).
DO $$
DECLARE
  ext_schema text;
BEGIN
  SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS "contacts_username_trgm_idx" ON "contacts" USING gin ("username" %I.gin_trgm_ops) WITH (gin_pending_list_limit = 128)', ext_schema);
  END IF;
END $$;