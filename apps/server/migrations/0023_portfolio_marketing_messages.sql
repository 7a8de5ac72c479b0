CREATE TABLE "marketing_preference_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid,
	"wa_id" text NOT NULL,
	"number_id" uuid NOT NULL,
	"value" text NOT NULL,
	"detail" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"webhook_event_id" bigint,
	"change_index" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "marketing_ttl_seconds" integer;--> statement-breakpoint
ALTER TABLE "numbers" ADD COLUMN "business_id" text;--> statement-breakpoint
ALTER TABLE "numbers" ADD COLUMN "business_name" text;--> statement-breakpoint
ALTER TABLE "numbers" ADD COLUMN "business_id_source" text;--> statement-breakpoint
ALTER TABLE "numbers" ADD COLUMN "marketing_messages_api" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "numbers" ADD COLUMN "marketing_messages_status" text;--> statement-breakpoint
ALTER TABLE "org_settings" ADD COLUMN "marketing_messages_fallback" text DEFAULT 'fallback' NOT NULL;--> statement-breakpoint
ALTER TABLE "marketing_preference_events" ADD CONSTRAINT "marketing_preference_events_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "marketing_preference_events" ADD CONSTRAINT "marketing_preference_events_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "marketing_preference_events" ADD CONSTRAINT "marketing_preference_events_number_id_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "marketing_preference_events_wa_idx" ON "marketing_preference_events" USING btree ("org_id","wa_id","number_id","id");--> statement-breakpoint
CREATE INDEX "marketing_preference_events_contact_idx" ON "marketing_preference_events" USING btree ("contact_id");--> statement-breakpoint
CREATE UNIQUE INDEX "marketing_preference_events_replay_idx" ON "marketing_preference_events" USING btree ("webhook_event_id","change_index","number_id","wa_id");