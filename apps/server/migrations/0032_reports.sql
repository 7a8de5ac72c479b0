CREATE TABLE "report_daily" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
	"template" text NOT NULL,
	"language" text NOT NULL,
	"category" text NOT NULL,
	"direction" text NOT NULL,
	"attempted" integer DEFAULT 0 NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"delivered" integer DEFAULT 0 NOT NULL,
	"read" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"inbound" integer DEFAULT 0 NOT NULL,
	"replied" integer DEFAULT 0 NOT NULL,
	"paid" integer DEFAULT 0 NOT NULL,
	"cost" numeric(16, 6) DEFAULT '0' NOT NULL,
	CONSTRAINT "report_daily_org_id_day_number_id_template_language_category_direction_pk" PRIMARY KEY("org_id","day","number_id","template","language","category","direction")
);
--> statement-breakpoint
CREATE TABLE "report_daily_failures" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
	"template" text NOT NULL,
	"language" text NOT NULL,
	"category" text NOT NULL,
	"error_code" text NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_daily_failures_org_id_day_number_id_template_language_category_error_code_pk" PRIMARY KEY("org_id","day","number_id","template","language","category","error_code")
);
--> statement-breakpoint
CREATE TABLE "report_daily_numbers" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"attempted" integer DEFAULT 0 NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"delivered" integer DEFAULT 0 NOT NULL,
	"read" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"inbound" integer DEFAULT 0 NOT NULL,
	"replied" integer DEFAULT 0 NOT NULL,
	"paid" integer DEFAULT 0 NOT NULL,
	"cost" numeric(16, 6) DEFAULT '0' NOT NULL,
	CONSTRAINT "report_daily_numbers_org_id_day_number_id_direction_pk" PRIMARY KEY("org_id","day","number_id","direction")
);
--> statement-breakpoint
CREATE TABLE "report_daily_templates" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"template" text NOT NULL,
	"language" text NOT NULL,
	"attempted" integer DEFAULT 0 NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"delivered" integer DEFAULT 0 NOT NULL,
	"read" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"inbound" integer DEFAULT 0 NOT NULL,
	"replied" integer DEFAULT 0 NOT NULL,
	"paid" integer DEFAULT 0 NOT NULL,
	"cost" numeric(16, 6) DEFAULT '0' NOT NULL,
	CONSTRAINT "report_daily_templates_org_id_day_template_language_pk" PRIMARY KEY("org_id","day","template","language")
);
--> statement-breakpoint
CREATE TABLE "report_hourly" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"hour" integer NOT NULL,
	"number_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_hourly_org_id_day_hour_number_id_direction_pk" PRIMARY KEY("org_id","day","hour","number_id","direction")
);
--> statement-breakpoint
CREATE TABLE "report_hourly_all" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"hour" integer NOT NULL,
	"direction" text NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_hourly_all_org_id_day_hour_direction_pk" PRIMARY KEY("org_id","day","hour","direction")
);
--> statement-breakpoint
CREATE TABLE "report_message_facts" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"day" date NOT NULL,
	"hour" integer NOT NULL,
	"direction" text NOT NULL,
	"template" text NOT NULL,
	"language" text NOT NULL,
	"category" text NOT NULL,
	"country" text NOT NULL,
	"accepted" boolean NOT NULL,
	"state" integer NOT NULL,
	"replied" boolean NOT NULL,
	"error_code" text NOT NULL,
	"cost" numeric(14, 6) NOT NULL,
	"watch" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_spend_all" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"category" text NOT NULL,
	"country" text NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	"cost" numeric(16, 6) DEFAULT '0' NOT NULL,
	CONSTRAINT "report_spend_all_org_id_day_category_country_pk" PRIMARY KEY("org_id","day","category","country")
);
--> statement-breakpoint
CREATE TABLE "report_spend_daily" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
	"category" text NOT NULL,
	"country" text NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	"cost" numeric(16, 6) DEFAULT '0' NOT NULL,
	CONSTRAINT "report_spend_daily_org_id_day_number_id_category_country_pk" PRIMARY KEY("org_id","day","number_id","category","country")
);
--> statement-breakpoint
CREATE TABLE "report_state" (
	"id" text PRIMARY KEY NOT NULL,
	"seq_low" bigint DEFAULT 0 NOT NULL,
	"seq_mark" bigint DEFAULT 0 NOT NULL,
	"seq_high" bigint DEFAULT 0 NOT NULL,
	"event_low" bigint DEFAULT 0 NOT NULL,
	"event_mark" bigint DEFAULT 0 NOT NULL,
	"event_high" bigint DEFAULT 0 NOT NULL,
	"rotated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"folded_at" timestamp with time zone,
	"rebuild_started_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "report_daily" ADD CONSTRAINT "report_daily_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_daily_failures" ADD CONSTRAINT "report_daily_failures_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_daily_numbers" ADD CONSTRAINT "report_daily_numbers_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_daily_templates" ADD CONSTRAINT "report_daily_templates_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_hourly" ADD CONSTRAINT "report_hourly_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_hourly_all" ADD CONSTRAINT "report_hourly_all_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_message_facts" ADD CONSTRAINT "report_message_facts_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_spend_all" ADD CONSTRAINT "report_spend_all_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_spend_daily" ADD CONSTRAINT "report_spend_daily_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_message_facts_org_day_idx" ON "report_message_facts" USING btree ("org_id","day");--> statement-breakpoint
CREATE INDEX "report_message_facts_watch_idx" ON "report_message_facts" USING btree ("message_id") WHERE "report_message_facts"."watch";--> statement-breakpoint
CREATE INDEX "messages_seq_idx" ON "messages" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "opt_in_events_org_created_idx" ON "opt_in_events" USING btree ("org_id","created_at");--> statement-breakpoint
INSERT INTO "report_state" ("id") VALUES ('fold') ON CONFLICT DO NOTHING;
