CREATE TABLE "outbound_media" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"number_id" uuid NOT NULL,
	"sha256" text NOT NULL,
	"meta_media_id" text NOT NULL,
	"type" text NOT NULL,
	"mime_type" text NOT NULL,
	"size" integer NOT NULL,
	"filename" text,
	"storage_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbound_media" ADD CONSTRAINT "outbound_media_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_media" ADD CONSTRAINT "outbound_media_number_id_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "outbound_media_number_sha_idx" ON "outbound_media" USING btree ("number_id","sha256");--> statement-breakpoint
CREATE INDEX "outbound_media_meta_idx" ON "outbound_media" USING btree ("number_id","meta_media_id");