CREATE TABLE "event_counts" (
	"status" text PRIMARY KEY NOT NULL,
	"events" integer DEFAULT 0 NOT NULL
);
