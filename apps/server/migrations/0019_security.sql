CREATE TABLE "auth_throttles" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"blocked_until" timestamp with time zone,
	"last_failure_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent_tombstones" (
	"org_id" uuid NOT NULL,
	"phone_hash" text NOT NULL,
	"opted_out_at" timestamp with time zone NOT NULL,
	"proof" jsonb NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consent_tombstones_org_id_phone_hash_pk" PRIMARY KEY("org_id","phone_hash")
);
--> statement-breakpoint
ALTER TABLE "numbers" ADD COLUMN "app_id" text;--> statement-breakpoint
ALTER TABLE "org_settings" ADD COLUMN "hide_phone_numbers" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "instance_admin" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "signer" text;--> statement-breakpoint
ALTER TABLE "consent_tombstones" ADD CONSTRAINT "consent_tombstones_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
DROP TABLE "login_failures" CASCADE;--> statement-breakpoint
-- The first owner of an install is its first instance administrator.
UPDATE "users" SET "instance_admin" = true WHERE "id" = (SELECT "id" FROM "users" ORDER BY "created_at", "id" LIMIT 1);
