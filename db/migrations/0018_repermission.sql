CREATE TABLE "repermission_asks" (
	"request_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"reason" text,
	"asked_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	CONSTRAINT "repermission_asks_request_id_contact_id_pk" PRIMARY KEY("request_id","contact_id")
);
--> statement-breakpoint
CREATE TABLE "repermission_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"source" text NOT NULL,
	"import_id" uuid,
	"segment_id" uuid,
	"contact_ids" jsonb,
	"template_id" uuid,
	"wording" text NOT NULL,
	"status" text DEFAULT 'listing' NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"created_by" uuid,
	"api_key_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "repermission_asks" ADD CONSTRAINT "repermission_asks_request_id_repermission_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."repermission_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repermission_asks" ADD CONSTRAINT "repermission_asks_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repermission_asks" ADD CONSTRAINT "repermission_asks_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repermission_requests" ADD CONSTRAINT "repermission_requests_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repermission_requests" ADD CONSTRAINT "repermission_requests_import_id_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."imports"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repermission_requests" ADD CONSTRAINT "repermission_requests_segment_id_segments_id_fk" FOREIGN KEY ("segment_id") REFERENCES "public"."segments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repermission_requests" ADD CONSTRAINT "repermission_requests_template_id_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."templates"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repermission_requests" ADD CONSTRAINT "repermission_requests_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "repermission_asks_contact_idx" ON "repermission_asks" USING btree ("workspace_id","contact_id","asked_at");--> statement-breakpoint
CREATE INDEX "repermission_asks_queued_idx" ON "repermission_asks" USING btree ("request_id","contact_id") WHERE "repermission_asks"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "repermission_requests_workspace_idx" ON "repermission_requests" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "repermission_requests_import_idx" ON "repermission_requests" USING btree ("workspace_id","import_id") WHERE "repermission_requests"."import_id" is not null;--> statement-breakpoint
CREATE INDEX "repermission_requests_segment_idx" ON "repermission_requests" USING btree ("workspace_id","segment_id") WHERE "repermission_requests"."segment_id" is not null;--> statement-breakpoint
CREATE INDEX "consent_events_import_idx" ON "consent_events" USING btree ("workspace_id",("data"->>'importId'),"contact_id") WHERE "consent_events"."kind" = 'opt_in' and "consent_events"."source" = 'import';