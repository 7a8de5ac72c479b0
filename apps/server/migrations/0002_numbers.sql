CREATE TABLE "number_health" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"number_id" uuid NOT NULL,
	"source" text NOT NULL,
	"quality_rating" text,
	"throughput_level" text,
	"messaging_limit_tier" text,
	"name_status" text,
	"event" text,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "numbers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"display_name" text NOT NULL,
	"phone_number_id" text NOT NULL,
	"waba_id" text NOT NULL,
	"access_token_sealed" text NOT NULL,
	"app_secret_sealed" text NOT NULL,
	"verify_token_sealed" text NOT NULL,
	"system_prompt" text,
	"status" text DEFAULT 'active' NOT NULL,
	"inactive_reason" text,
	"is_sandbox" boolean DEFAULT false NOT NULL,
	"display_phone_number" text,
	"verified_name" text,
	"quality_rating" text,
	"throughput_level" text,
	"messaging_limit_tier" text,
	"name_status" text,
	"health_checked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "number_health" ADD CONSTRAINT "number_health_number_id_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "numbers" ADD CONSTRAINT "numbers_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "number_health_number_idx" ON "number_health" USING btree ("number_id","recorded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "numbers_phone_number_id_idx" ON "numbers" USING btree ("phone_number_id");--> statement-breakpoint
CREATE INDEX "numbers_org_idx" ON "numbers" USING btree ("org_id");