CREATE TABLE "billing_alerts" (
	"org_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"period" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_alerts_org_id_kind_subject_period_pk" PRIMARY KEY("org_id","kind","subject","period")
);
--> statement-breakpoint
CREATE TABLE "billing_caps" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"daily_message_cap" integer,
	"monthly_spend_cap" numeric(14, 6),
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_cards" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"effective_from" date NOT NULL,
	"market" text NOT NULL,
	"category" text NOT NULL,
	"rate" numeric(14, 6) NOT NULL,
	"currency" text NOT NULL,
	"source" text,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "spend_cap" numeric(14, 6);--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "cost_expected" numeric(14, 6);--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "cost_currency" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "cost_category" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "pricing_billable" boolean;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "pricing_model" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "pricing_category" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "pricing_type" text;--> statement-breakpoint
ALTER TABLE "billing_alerts" ADD CONSTRAINT "billing_alerts_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_caps" ADD CONSTRAINT "billing_caps_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "rate_cards_key_idx" ON "rate_cards" USING btree ("market","category","effective_from");--> statement-breakpoint
CREATE INDEX "messages_org_outbound_idx" ON "messages" USING btree ("org_id","created_at") WHERE "messages"."direction" = 'out';