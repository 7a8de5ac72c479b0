CREATE TABLE "conversation_resolutions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"resolved_by" uuid,
	"assignee_id" uuid,
	"resolved_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_agent_conversations" (
	"conversation_id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"open_since" timestamp with time zone,
	"responded" boolean DEFAULT false NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "report_agent_daily" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"user_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"handled" integer DEFAULT 0 NOT NULL,
	"replies" integer DEFAULT 0 NOT NULL,
	"notes" integer DEFAULT 0 NOT NULL,
	"first_responses" integer DEFAULT 0 NOT NULL,
	"first_response_seconds" bigint DEFAULT 0 NOT NULL,
	"resolutions" integer DEFAULT 0 NOT NULL,
	"resolution_seconds" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "report_agent_daily_org_id_day_user_id_number_id_pk" PRIMARY KEY("org_id","day","user_id","number_id")
);
--> statement-breakpoint
CREATE TABLE "report_agent_daily_all" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"user_id" uuid NOT NULL,
	"handled" integer DEFAULT 0 NOT NULL,
	"replies" integer DEFAULT 0 NOT NULL,
	"notes" integer DEFAULT 0 NOT NULL,
	"first_responses" integer DEFAULT 0 NOT NULL,
	"first_response_seconds" bigint DEFAULT 0 NOT NULL,
	"resolutions" integer DEFAULT 0 NOT NULL,
	"resolution_seconds" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "report_agent_daily_all_org_id_day_user_id_pk" PRIMARY KEY("org_id","day","user_id")
);
--> statement-breakpoint
CREATE TABLE "report_agent_durations" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"user_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"bucket" integer NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_agent_durations_org_id_day_user_id_number_id_kind_bucket_pk" PRIMARY KEY("org_id","day","user_id","number_id","kind","bucket")
);
--> statement-breakpoint
CREATE TABLE "report_agent_durations_all" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"bucket" integer NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_agent_durations_all_org_id_day_user_id_kind_bucket_pk" PRIMARY KEY("org_id","day","user_id","kind","bucket")
);
--> statement-breakpoint
CREATE TABLE "report_agent_facts" (
	"kind" text NOT NULL,
	"source_id" text NOT NULL,
	"org_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"user_id" uuid,
	"day" date NOT NULL,
	"seconds" integer,
	"bucket" integer,
	CONSTRAINT "report_agent_facts_kind_source_id_pk" PRIMARY KEY("kind","source_id")
);
--> statement-breakpoint
CREATE TABLE "report_agent_marks" (
	"id" text PRIMARY KEY NOT NULL,
	"read_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversation_resolutions" ADD CONSTRAINT "conversation_resolutions_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_resolutions" ADD CONSTRAINT "conversation_resolutions_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_resolutions" ADD CONSTRAINT "conversation_resolutions_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_resolutions" ADD CONSTRAINT "conversation_resolutions_assignee_id_users_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_agent_conversations" ADD CONSTRAINT "report_agent_conversations_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_agent_daily" ADD CONSTRAINT "report_agent_daily_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_agent_daily_all" ADD CONSTRAINT "report_agent_daily_all_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_agent_durations" ADD CONSTRAINT "report_agent_durations_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_agent_durations_all" ADD CONSTRAINT "report_agent_durations_all_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_agent_facts" ADD CONSTRAINT "report_agent_facts_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversation_resolutions_conversation_idx" ON "conversation_resolutions" USING btree ("conversation_id","resolved_at");--> statement-breakpoint
CREATE INDEX "conversation_resolutions_resolved_at_idx" ON "conversation_resolutions" USING btree ("resolved_at");--> statement-breakpoint
CREATE INDEX "report_agent_facts_org_day_idx" ON "report_agent_facts" USING btree ("org_id","day");--> statement-breakpoint
CREATE INDEX "report_agent_facts_handled_idx" ON "report_agent_facts" USING btree ("conversation_id","user_id","day");--> statement-breakpoint
CREATE INDEX "conversation_notes_created_idx" ON "conversation_notes" USING btree ("created_at");