CREATE TABLE "report_number_health" (
	"health_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"org_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"value" text NOT NULL,
	"previous" text,
	CONSTRAINT "report_number_health_health_id_kind_pk" PRIMARY KEY("health_id","kind")
);
--> statement-breakpoint
CREATE TABLE "report_number_minutes" (
	"org_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"minute" timestamp NOT NULL,
	"day" date NOT NULL,
	"accepted" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_number_minutes_org_id_number_id_minute_pk" PRIMARY KEY("org_id","number_id","minute")
);
--> statement-breakpoint
CREATE TABLE "report_number_peaks" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"number_id" uuid NOT NULL,
	"peak" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_number_peaks_org_id_day_number_id_pk" PRIMARY KEY("org_id","day","number_id")
);
--> statement-breakpoint
CREATE TABLE "report_open_inserts" (
	"xid" text PRIMARY KEY NOT NULL,
	"seq_from" bigint NOT NULL,
	"seq_to" bigint NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_parked_events" (
	"event_id" bigint PRIMARY KEY NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "report_message_facts" ADD COLUMN "minute" timestamp;--> statement-breakpoint
ALTER TABLE "report_state" ADD COLUMN "xid_mark" text;--> statement-breakpoint
ALTER TABLE "report_state" ADD COLUMN "health_mark" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "report_number_health" ADD CONSTRAINT "report_number_health_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_number_minutes" ADD CONSTRAINT "report_number_minutes_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_number_peaks" ADD CONSTRAINT "report_number_peaks_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_number_health_number_idx" ON "report_number_health" USING btree ("org_id","number_id","kind","at");--> statement-breakpoint
CREATE INDEX "report_number_minutes_day_idx" ON "report_number_minutes" USING btree ("org_id","day");