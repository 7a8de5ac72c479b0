CREATE TABLE "report_tag_failures" (
	"org_id" uuid NOT NULL,
	"tag_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
	"template" text NOT NULL,
	"language" text NOT NULL,
	"error_code" text NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_tag_failures_org_id_tag_id_day_number_id_template_language_error_code_pk" PRIMARY KEY("org_id","tag_id","day","number_id","template","language","error_code")
);
--> statement-breakpoint
CREATE TABLE "report_tag_hourly" (
	"org_id" uuid NOT NULL,
	"tag_id" uuid NOT NULL,
	"day" date NOT NULL,
	"hour" integer NOT NULL,
	"number_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_tag_hourly_org_id_tag_id_day_hour_number_id_direction_pk" PRIMARY KEY("org_id","tag_id","day","hour","number_id","direction")
);
--> statement-breakpoint
CREATE TABLE "report_tag_numbers" (
	"org_id" uuid NOT NULL,
	"tag_id" uuid NOT NULL,
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
	CONSTRAINT "report_tag_numbers_org_id_tag_id_day_number_id_direction_pk" PRIMARY KEY("org_id","tag_id","day","number_id","direction")
);
--> statement-breakpoint
CREATE TABLE "report_tag_spend" (
	"org_id" uuid NOT NULL,
	"tag_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
	"category" text NOT NULL,
	"country" text NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	"cost" numeric(16, 6) DEFAULT '0' NOT NULL,
	CONSTRAINT "report_tag_spend_org_id_tag_id_day_number_id_category_country_pk" PRIMARY KEY("org_id","tag_id","day","number_id","category","country")
);
--> statement-breakpoint
CREATE TABLE "report_tag_templates" (
	"org_id" uuid NOT NULL,
	"tag_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
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
	CONSTRAINT "report_tag_templates_org_id_tag_id_day_number_id_template_language_pk" PRIMARY KEY("org_id","tag_id","day","number_id","template","language")
);
--> statement-breakpoint
ALTER TABLE "report_message_facts" ADD COLUMN "tags" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "report_tag_failures" ADD CONSTRAINT "report_tag_failures_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_tag_hourly" ADD CONSTRAINT "report_tag_hourly_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_tag_numbers" ADD CONSTRAINT "report_tag_numbers_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_tag_spend" ADD CONSTRAINT "report_tag_spend_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_tag_templates" ADD CONSTRAINT "report_tag_templates_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;