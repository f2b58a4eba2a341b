CREATE TABLE "mail_deliveries" (
	"cause" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"recipient" text,
	"message_id" text,
	"claimed_until" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "mail_deliveries_status_check" CHECK ("mail_deliveries"."status" in ('sending', 'sent', 'skipped'))
);
--> statement-breakpoint
CREATE INDEX "mail_deliveries_finished_idx" ON "mail_deliveries" USING btree ("finished_at");