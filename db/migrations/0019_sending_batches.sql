CREATE TYPE "public"."send_batch_status" AS ENUM('pending', 'sent', 'split');--> statement-breakpoint
CREATE TABLE "send_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"status" "send_batch_status" DEFAULT 'pending' NOT NULL,
	"message_ids" uuid[] NOT NULL,
	"body" "bytea",
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "send_pace" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"next_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "notifications_subject_hour_key";--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "contact_id" uuid;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "node_id" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "recipient_user_ids" uuid[];--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "dedupe_key" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "batch_id" uuid;--> statement-breakpoint
ALTER TABLE "send_batches" ADD CONSTRAINT "send_batches_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "send_pace" ADD CONSTRAINT "send_pace_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "send_batches_workspace_time_idx" ON "send_batches" USING btree ("workspace_id","created_at");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_batch_id_send_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."send_batches"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_dedupe_key" ON "notifications" USING btree ("workspace_id","dedupe_key") WHERE "notifications"."dedupe_key" is not null;--> statement-breakpoint
CREATE INDEX "messages_batch_idx" ON "messages" USING btree ("batch_id") WHERE "messages"."batch_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_subject_hour_key" ON "notifications" USING btree ("workspace_id","kind","flow_id","hour") WHERE "notifications"."dedupe_key" is null;