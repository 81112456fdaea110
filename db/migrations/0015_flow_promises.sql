CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"flow_id" uuid,
	"hour" timestamp with time zone NOT NULL,
	"title" text NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"mailed_at" timestamp with time zone,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "flow_version_templates" (
	"workspace_id" uuid NOT NULL,
	"flow_version_id" uuid NOT NULL,
	"template_id" uuid NOT NULL,
	"template_version_id" uuid NOT NULL,
	CONSTRAINT "flow_version_templates_flow_version_id_template_id_pk" PRIMARY KEY("flow_version_id","template_id")
);
--> statement-breakpoint
CREATE TABLE "template_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"template_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"hash" text NOT NULL,
	"name" text NOT NULL,
	"class" "message_class" NOT NULL,
	"topic" text,
	"subject" text NOT NULL,
	"preheader" text NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "provider_wait_hours" integer DEFAULT 24 NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "template_version_id" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "consent_event_id" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "permission_basis" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_version_templates" ADD CONSTRAINT "flow_version_templates_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_version_templates" ADD CONSTRAINT "flow_version_templates_flow_version_id_flow_versions_id_fk" FOREIGN KEY ("flow_version_id") REFERENCES "public"."flow_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_version_templates" ADD CONSTRAINT "flow_version_templates_template_version_id_template_versions_id_fk" FOREIGN KEY ("template_version_id") REFERENCES "public"."template_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_versions" ADD CONSTRAINT "template_versions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_versions" ADD CONSTRAINT "template_versions_template_id_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."templates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_subject_hour_key" ON "notifications" USING btree ("workspace_id","kind","flow_id","hour");--> statement-breakpoint
CREATE INDEX "notifications_workspace_time_idx" ON "notifications" USING btree ("workspace_id","last_at");--> statement-breakpoint
CREATE INDEX "flow_version_templates_template_idx" ON "flow_version_templates" USING btree ("workspace_id","template_id");--> statement-breakpoint
CREATE UNIQUE INDEX "template_versions_template_number_key" ON "template_versions" USING btree ("template_id","number");--> statement-breakpoint
CREATE INDEX "template_versions_template_hash_idx" ON "template_versions" USING btree ("template_id","hash");--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_template_version_id_template_versions_id_fk" FOREIGN KEY ("template_version_id") REFERENCES "public"."template_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_consent_event_id_consent_events_id_fk" FOREIGN KEY ("consent_event_id") REFERENCES "public"."consent_events"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_provider_wait_hours" CHECK ("flows"."provider_wait_hours" between 1 and 168);--> statement-breakpoint
-- A published flow version, and a template version it pinned, never change: a contact pinned to a
-- version gets exactly what was published. Rows go only with their parent (flow or template) or
-- their workspace, when that is deleted; while both exist, nothing deletes them.
CREATE OR REPLACE FUNCTION flow_versions_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'flow_versions is immutable: a published version cannot be changed' USING ERRCODE = 'P0001';
  END IF;
  IF EXISTS (SELECT 1 FROM flows WHERE id = OLD.flow_id) AND EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id) THEN
    RAISE EXCEPTION 'flow_versions is immutable: a version goes only with its flow' USING ERRCODE = 'P0001';
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER flow_versions_immutable
  BEFORE UPDATE OR DELETE ON flow_versions
  FOR EACH ROW EXECUTE FUNCTION flow_versions_guard();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION template_versions_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'template_versions is immutable: a published version cannot be changed' USING ERRCODE = 'P0001';
  END IF;
  IF EXISTS (SELECT 1 FROM templates WHERE id = OLD.template_id) AND EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id) THEN
    RAISE EXCEPTION 'template_versions is immutable: a version goes only with its template' USING ERRCODE = 'P0001';
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER template_versions_immutable
  BEFORE UPDATE OR DELETE ON template_versions
  FOR EACH ROW EXECUTE FUNCTION template_versions_guard();
