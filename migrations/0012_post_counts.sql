CREATE TABLE "post_counts" (
	"author_id" integer PRIMARY KEY NOT NULL,
	"posts" integer DEFAULT 0 NOT NULL
);
