CREATE TABLE "enrollment_steps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigserial NOT NULL,
	"workspace_id" uuid NOT NULL,
	"flow_id" uuid NOT NULL,
	"flow_version_id" uuid NOT NULL,
	"enrollment_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"step_id" text NOT NULL,
	"node_id" text NOT NULL,
	"visit" integer NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"exit" text,
	"detail" text DEFAULT '' NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "source_event_id" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "unsubscribe_token" text;--> statement-breakpoint
ALTER TABLE "enrollment_steps" ADD CONSTRAINT "enrollment_steps_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_steps" ADD CONSTRAINT "enrollment_steps_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_steps" ADD CONSTRAINT "enrollment_steps_flow_version_id_flow_versions_id_fk" FOREIGN KEY ("flow_version_id") REFERENCES "public"."flow_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_steps" ADD CONSTRAINT "enrollment_steps_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_steps" ADD CONSTRAINT "enrollment_steps_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "enrollment_steps_step_key" ON "enrollment_steps" USING btree ("enrollment_id","step_id");--> statement-breakpoint
CREATE INDEX "enrollment_steps_flow_node_idx" ON "enrollment_steps" USING btree ("workspace_id","flow_id","node_id");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_source_event_key" ON "enrollments" USING btree ("flow_id","contact_id","source_event_id") WHERE "enrollments"."source_event_id" is not null;--> statement-breakpoint
CREATE INDEX "enrollments_workspace_flow_status_idx" ON "enrollments" USING btree ("workspace_id","flow_id","status","current_node_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_unsubscribe_token_key" ON "messages" USING btree ("unsubscribe_token") WHERE "messages"."unsubscribe_token" is not null;--> statement-breakpoint
CREATE INDEX "messages_enrollment_idx" ON "messages" USING btree ("enrollment_id");
