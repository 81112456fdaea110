CREATE TABLE "event_outbox_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_ids" uuid[] NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- hand-written: what the old outbox still had to forward (events with a contact) becomes one row,
-- oldest first; events still waiting for a contact are found by events_waiting_idx from now on.
INSERT INTO "event_outbox_batches" ("event_ids")
SELECT array_agg(o."event_id" ORDER BY o."id") FROM "event_outbox" o JOIN "events" e ON e."id" = o."event_id"
WHERE e."contact_id" IS NOT NULL HAVING count(*) > 0;--> statement-breakpoint
DROP TABLE "event_outbox" CASCADE;--> statement-breakpoint
DROP INDEX "events_contact_name_time_idx";--> statement-breakpoint
CREATE INDEX "events_waiting_idx" ON "events" USING btree ("id") WHERE "events"."contact_id" is null;--> statement-breakpoint
CREATE INDEX "events_contact_name_time_idx" ON "events" USING btree ("contact_id","name","occurred_at") WHERE "events"."contact_id" is not null;
