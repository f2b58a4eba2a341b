CREATE TABLE "user_counts" (
	"id" integer PRIMARY KEY NOT NULL,
	"users" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "user_counts_one_row" CHECK ("user_counts"."id" = 0)
);
