ALTER TABLE "event_outbox" DROP CONSTRAINT "event_outbox_workspace_id_workspaces_id_fk";
--> statement-breakpoint
DROP INDEX "event_outbox_claim_idx";--> statement-breakpoint
ALTER TABLE "event_outbox" ADD COLUMN "waiting" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "event_outbox_ready_idx" ON "event_outbox" USING btree ("id") WHERE not "event_outbox"."waiting";--> statement-breakpoint
-- hand-written: rows already waiting for a contact leave the forwarder's queue.
UPDATE "event_outbox" o SET "waiting" = true FROM "events" e WHERE e."id" = o."event_id" AND e."contact_id" IS NULL;
