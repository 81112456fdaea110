DROP INDEX "events_workspace_name_time_idx";--> statement-breakpoint
CREATE INDEX "events_workspace_name_time_contact_idx" ON "events" USING btree ("workspace_id","name","occurred_at","contact_id");