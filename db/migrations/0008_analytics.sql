CREATE TABLE "contact_growth_daily" (
	"workspace_id" uuid NOT NULL,
	"day" date NOT NULL,
	"status" text NOT NULL,
	"contacts" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "contact_growth_daily_workspace_id_day_status_pk" PRIMARY KEY("workspace_id","day","status")
);
--> statement-breakpoint
CREATE TABLE "conversions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"flow_id" uuid NOT NULL,
	"flow_version_id" uuid,
	"enrollment_id" uuid NOT NULL,
	"contact_id" uuid,
	"node_id" text NOT NULL,
	"goal_name" text NOT NULL,
	"event_id" uuid,
	"message_id" uuid,
	"attributed_via" text,
	"revenue" numeric(14, 2),
	"currency" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_firsts" (
	"message_id" uuid NOT NULL,
	"kind" text NOT NULL,
	CONSTRAINT "email_firsts_message_id_kind_pk" PRIMARY KEY("message_id","kind")
);
--> statement-breakpoint
CREATE TABLE "email_link_clicks_daily" (
	"workspace_id" uuid NOT NULL,
	"day" date NOT NULL,
	"flow_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"node_id" text DEFAULT '' NOT NULL,
	"template_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"url_hash" text NOT NULL,
	"url" text NOT NULL,
	"machine" boolean DEFAULT false NOT NULL,
	"clicks" bigint DEFAULT 0 NOT NULL,
	"messages" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_stats_daily" (
	"workspace_id" uuid NOT NULL,
	"day" date NOT NULL,
	"flow_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"node_id" text DEFAULT '' NOT NULL,
	"template_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"type" text NOT NULL,
	"machine" boolean DEFAULT false NOT NULL,
	"events" bigint DEFAULT 0 NOT NULL,
	"messages" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flow_enrollments_daily" (
	"workspace_id" uuid NOT NULL,
	"flow_id" uuid NOT NULL,
	"day" date NOT NULL,
	"enrolled" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "flow_enrollments_daily_workspace_id_flow_id_day_pk" PRIMARY KEY("workspace_id","flow_id","day")
);
--> statement-breakpoint
CREATE TABLE "flow_steps_daily" (
	"workspace_id" uuid NOT NULL,
	"flow_id" uuid NOT NULL,
	"node_id" text NOT NULL,
	"exit" text DEFAULT '' NOT NULL,
	"day" date NOT NULL,
	"entered" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "flow_steps_daily_workspace_id_flow_id_node_id_exit_day_pk" PRIMARY KEY("workspace_id","flow_id","node_id","exit","day")
);
--> statement-breakpoint
CREATE TABLE "form_stats_daily" (
	"workspace_id" uuid NOT NULL,
	"form_id" uuid NOT NULL,
	"day" date NOT NULL,
	"submissions" bigint DEFAULT 0 NOT NULL,
	"confirmations" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "form_stats_daily_workspace_id_form_id_day_pk" PRIMARY KEY("workspace_id","form_id","day")
);
--> statement-breakpoint
CREATE TABLE "form_views" (
	"workspace_id" uuid NOT NULL,
	"form_id" uuid NOT NULL,
	"day" date NOT NULL,
	"views" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "form_views_form_id_day_pk" PRIMARY KEY("form_id","day")
);
--> statement-breakpoint
ALTER TABLE "contact_growth_daily" ADD CONSTRAINT "contact_growth_daily_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_flow_version_id_flow_versions_id_fk" FOREIGN KEY ("flow_version_id") REFERENCES "public"."flow_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_firsts" ADD CONSTRAINT "email_firsts_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_link_clicks_daily" ADD CONSTRAINT "email_link_clicks_daily_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_stats_daily" ADD CONSTRAINT "email_stats_daily_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_enrollments_daily" ADD CONSTRAINT "flow_enrollments_daily_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_enrollments_daily" ADD CONSTRAINT "flow_enrollments_daily_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_steps_daily" ADD CONSTRAINT "flow_steps_daily_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_steps_daily" ADD CONSTRAINT "flow_steps_daily_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "form_stats_daily" ADD CONSTRAINT "form_stats_daily_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "form_views" ADD CONSTRAINT "form_views_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "form_views" ADD CONSTRAINT "form_views_form_id_forms_id_fk" FOREIGN KEY ("form_id") REFERENCES "public"."forms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "conversions_enrollment_goal_key" ON "conversions" USING btree ("enrollment_id","node_id");--> statement-breakpoint
CREATE INDEX "conversions_workspace_flow_time_idx" ON "conversions" USING btree ("workspace_id","flow_id","occurred_at");--> statement-breakpoint
CREATE INDEX "conversions_workspace_time_idx" ON "conversions" USING btree ("workspace_id","occurred_at");--> statement-breakpoint
CREATE INDEX "conversions_message_idx" ON "conversions" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "email_link_clicks_daily_key" ON "email_link_clicks_daily" USING btree ("workspace_id","day","flow_id","node_id","template_id","url_hash","machine");--> statement-breakpoint
CREATE INDEX "email_link_clicks_daily_flow_idx" ON "email_link_clicks_daily" USING btree ("workspace_id","flow_id","node_id","day");--> statement-breakpoint
CREATE UNIQUE INDEX "email_stats_daily_key" ON "email_stats_daily" USING btree ("workspace_id","day","flow_id","node_id","template_id","type","machine");--> statement-breakpoint
CREATE INDEX "email_stats_daily_flow_idx" ON "email_stats_daily" USING btree ("workspace_id","flow_id","node_id","day");--> statement-breakpoint
CREATE INDEX "flow_enrollments_daily_day_idx" ON "flow_enrollments_daily" USING btree ("workspace_id","day");--> statement-breakpoint
CREATE INDEX "form_views_workspace_day_idx" ON "form_views" USING btree ("workspace_id","day");--> statement-breakpoint
-- hand-written: report rollups kept by triggers, their rebuild function, and an index for form reports.
-- Days are UTC. Every counter is a single-row upsert, so concurrent writers serialise only on the
-- (workspace, day, flow, node, kind) row they touch.
CREATE INDEX IF NOT EXISTS "consent_events_workspace_form_idx" ON "consent_events" ("workspace_id", "form_id", "kind", "occurred_at") WHERE "form_id" IS NOT NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_bump_email(ws uuid, d date, f uuid, n text, t uuid, ty text, mach boolean, ev bigint, msgs bigint) RETURNS void AS $$
BEGIN
  INSERT INTO email_stats_daily AS s (workspace_id, day, flow_id, node_id, template_id, type, machine, events, messages)
  VALUES (ws, d, coalesce(f, '00000000-0000-0000-0000-000000000000'), coalesce(n, ''), coalesce(t, '00000000-0000-0000-0000-000000000000'), ty, mach, ev, msgs)
  ON CONFLICT (workspace_id, day, flow_id, node_id, template_id, type, machine)
  DO UPDATE SET events = s.events + EXCLUDED.events, messages = s.messages + EXCLUDED.messages;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_email_event() RETURNS trigger AS $$
DECLARE
  m record;
  d date := (NEW.occurred_at AT TIME ZONE 'UTC')::date;
  firsts integer;
  h text;
BEGIN
  -- Sends are counted from messages.sent_at (analytics_message_sent); a provider's "sent" echo is not.
  IF NEW.type = 'sent' THEN RETURN NULL; END IF;
  SELECT flow_id, node_id, template_id INTO m FROM messages WHERE id = NEW.message_id;
  INSERT INTO email_firsts (message_id, kind) VALUES (NEW.message_id, NEW.type || ':' || NEW.machine) ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS firsts = ROW_COUNT;
  PERFORM analytics_bump_email(NEW.workspace_id, d, m.flow_id, m.node_id, m.template_id, NEW.type::text, NEW.machine, 1, firsts);
  IF NEW.type = 'clicked' AND NEW.url IS NOT NULL THEN
    h := md5(NEW.url);
    INSERT INTO email_firsts (message_id, kind) VALUES (NEW.message_id, 'click:' || NEW.machine || ':' || h) ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS firsts = ROW_COUNT;
    INSERT INTO email_link_clicks_daily AS s (workspace_id, day, flow_id, node_id, template_id, url_hash, url, machine, clicks, messages)
    VALUES (NEW.workspace_id, d, coalesce(m.flow_id, '00000000-0000-0000-0000-000000000000'), coalesce(m.node_id, ''), coalesce(m.template_id, '00000000-0000-0000-0000-000000000000'), h, NEW.url, NEW.machine, 1, firsts)
    ON CONFLICT (workspace_id, day, flow_id, node_id, template_id, url_hash, machine)
    DO UPDATE SET clicks = s.clicks + 1, messages = s.messages + EXCLUDED.messages;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER email_events_analytics AFTER INSERT ON email_events FOR EACH ROW EXECUTE FUNCTION analytics_email_event();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_message_sent() RETURNS trigger AS $$
BEGIN
  IF NEW.sent_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.sent_at IS NULL) THEN
    PERFORM analytics_bump_email(NEW.workspace_id, (NEW.sent_at AT TIME ZONE 'UTC')::date, NEW.flow_id, NEW.node_id, NEW.template_id, 'sent', false, 1, 1);
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER messages_analytics AFTER INSERT OR UPDATE OF sent_at ON messages FOR EACH ROW EXECUTE FUNCTION analytics_message_sent();
--> statement-breakpoint
-- Statement-level with a transition table: a fan-out inserting 5,000 enrollments bumps each
-- (workspace, flow, day) counter once, instead of 5,000 updates of one row in one transaction.
CREATE OR REPLACE FUNCTION analytics_enrollment() RETURNS trigger AS $$
BEGIN
  INSERT INTO flow_enrollments_daily AS s (workspace_id, flow_id, day, enrolled)
  SELECT workspace_id, flow_id, (entered_at AT TIME ZONE 'UTC')::date, count(*) FROM new_rows GROUP BY 1, 2, 3
  ON CONFLICT (workspace_id, flow_id, day) DO UPDATE SET enrolled = s.enrolled + EXCLUDED.enrolled;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER enrollments_analytics AFTER INSERT ON enrollments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_enrollment();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_enrollment_step() RETURNS trigger AS $$
BEGIN
  -- First visits only (the goal watcher's jump is visit 0): loops do not inflate the funnel.
  INSERT INTO flow_steps_daily AS s (workspace_id, flow_id, node_id, exit, day, entered)
  SELECT workspace_id, flow_id, node_id, coalesce(exit, ''), (at AT TIME ZONE 'UTC')::date, count(*)
  FROM new_rows WHERE visit <= 1 GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (workspace_id, flow_id, node_id, exit, day) DO UPDATE SET entered = s.entered + EXCLUDED.entered;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER enrollment_steps_analytics AFTER INSERT ON enrollment_steps REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_enrollment_step();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_bump_contact(ws uuid, d date, st text, delta bigint) RETURNS void AS $$
BEGIN
  INSERT INTO contact_growth_daily AS s (workspace_id, day, status, contacts) VALUES (ws, d, st, delta)
  ON CONFLICT (workspace_id, day, status) DO UPDATE SET contacts = s.contacts + EXCLUDED.contacts;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_contact() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    -- A workspace being deleted cascades to its rollups too; nothing to move.
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id) THEN RETURN NULL; END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = OLD.status AND NEW.created_at = OLD.created_at THEN RETURN NULL; END IF;
    PERFORM analytics_bump_contact(OLD.workspace_id, (OLD.created_at AT TIME ZONE 'UTC')::date, OLD.status::text, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM analytics_bump_contact(NEW.workspace_id, (NEW.created_at AT TIME ZONE 'UTC')::date, NEW.status::text, 1);
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER contacts_analytics AFTER DELETE OR UPDATE OF status, created_at ON contacts FOR EACH ROW EXECUTE FUNCTION analytics_contact();
--> statement-breakpoint
-- Inserts (imports of 100k rows) per statement: one bump per (workspace, day, status).
CREATE OR REPLACE FUNCTION analytics_contacts_inserted() RETURNS trigger AS $$
BEGIN
  INSERT INTO contact_growth_daily AS s (workspace_id, day, status, contacts)
  SELECT workspace_id, (created_at AT TIME ZONE 'UTC')::date, status::text, count(*) FROM new_rows GROUP BY 1, 2, 3
  ON CONFLICT (workspace_id, day, status) DO UPDATE SET contacts = s.contacts + EXCLUDED.contacts;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER contacts_analytics_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_contacts_inserted();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_bump_form(ws uuid, f uuid, d date, subs bigint, confs bigint) RETURNS void AS $$
BEGIN
  INSERT INTO form_stats_daily AS s (workspace_id, form_id, day, submissions, confirmations) VALUES (ws, f, d, subs, confs)
  ON CONFLICT (workspace_id, form_id, day) DO UPDATE SET submissions = s.submissions + EXCLUDED.submissions, confirmations = s.confirmations + EXCLUDED.confirmations;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_consent_event() RETURNS trigger AS $$
DECLARE o record;
BEGIN
  IF NEW.kind = 'opt_in' AND NEW.form_id IS NOT NULL THEN
    PERFORM analytics_bump_form(NEW.workspace_id, NEW.form_id, (NEW.occurred_at AT TIME ZONE 'UTC')::date, 1, 0);
  ELSIF NEW.kind = 'confirmed' AND NEW.contact_id IS NOT NULL THEN
    -- Credit the form of the contact's latest opt-in before this confirmation, once per opt-in.
    SELECT form_id, occurred_at INTO o FROM consent_events
    WHERE contact_id = NEW.contact_id AND workspace_id = NEW.workspace_id AND kind = 'opt_in' AND form_id IS NOT NULL AND occurred_at <= NEW.occurred_at
    ORDER BY occurred_at DESC LIMIT 1;
    IF FOUND AND NOT EXISTS (
      SELECT 1 FROM consent_events WHERE contact_id = NEW.contact_id AND kind = 'confirmed' AND id <> NEW.id
        AND occurred_at >= o.occurred_at AND occurred_at <= NEW.occurred_at
    ) THEN
      PERFORM analytics_bump_form(NEW.workspace_id, o.form_id, (o.occurred_at AT TIME ZONE 'UTC')::date, 0, 1);
    END IF;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER consent_events_analytics AFTER INSERT ON consent_events FOR EACH ROW EXECUTE FUNCTION analytics_consent_event();
--> statement-breakpoint
-- Recomputes one workspace's rollups from the source tables (backfill, bulk loads with the triggers off).
-- A message's unique counts go to the day of its earliest event of the kind.
CREATE OR REPLACE FUNCTION analytics_rebuild(ws uuid) RETURNS void AS $$
BEGIN
  DELETE FROM email_stats_daily WHERE workspace_id = ws;
  DELETE FROM email_link_clicks_daily WHERE workspace_id = ws;
  DELETE FROM flow_enrollments_daily WHERE workspace_id = ws;
  DELETE FROM flow_steps_daily WHERE workspace_id = ws;
  DELETE FROM contact_growth_daily WHERE workspace_id = ws;
  DELETE FROM form_stats_daily WHERE workspace_id = ws;
  DELETE FROM email_firsts f USING messages m WHERE m.id = f.message_id AND m.workspace_id = ws;

  INSERT INTO email_firsts (message_id, kind)
  SELECT DISTINCT e.message_id, e.type || ':' || e.machine FROM email_events e WHERE e.workspace_id = ws AND e.type <> 'sent';
  INSERT INTO email_firsts (message_id, kind)
  SELECT DISTINCT e.message_id, 'click:' || e.machine || ':' || md5(e.url) FROM email_events e
  WHERE e.workspace_id = ws AND e.type = 'clicked' AND e.url IS NOT NULL;

  INSERT INTO email_stats_daily (workspace_id, day, flow_id, node_id, template_id, type, machine, events, messages)
  SELECT ws, day, coalesce(f, '00000000-0000-0000-0000-000000000000'), coalesce(n, ''), coalesce(t, '00000000-0000-0000-0000-000000000000'),
         ty, mach, sum(ev), sum(firsts) FROM (
    SELECT (m.sent_at AT TIME ZONE 'UTC')::date AS day, m.flow_id AS f, m.node_id AS n, m.template_id AS t, 'sent' AS ty, false AS mach,
           count(*) AS ev, count(*) AS firsts
    FROM messages m WHERE m.workspace_id = ws AND m.sent_at IS NOT NULL GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT (e.occurred_at AT TIME ZONE 'UTC')::date, m.flow_id, m.node_id, m.template_id, e.type::text, e.machine, count(*), 0
    FROM email_events e JOIN messages m ON m.id = e.message_id
    WHERE e.workspace_id = ws AND e.type <> 'sent' GROUP BY 1, 2, 3, 4, 5, 6
    UNION ALL
    SELECT (x.occurred_at AT TIME ZONE 'UTC')::date, m.flow_id, m.node_id, m.template_id, x.type::text, x.machine, 0, count(*)
    FROM (SELECT DISTINCT ON (e.message_id, e.type, e.machine) e.message_id, e.type, e.machine, e.occurred_at
          FROM email_events e WHERE e.workspace_id = ws AND e.type <> 'sent'
          ORDER BY e.message_id, e.type, e.machine, e.occurred_at) x
    JOIN messages m ON m.id = x.message_id GROUP BY 1, 2, 3, 4, 5, 6
  ) u(day, f, n, t, ty, mach, ev, firsts)
  GROUP BY 2, 3, 4, 5, 6, 7;

  INSERT INTO email_link_clicks_daily (workspace_id, day, flow_id, node_id, template_id, url_hash, url, machine, clicks, messages)
  SELECT ws, day, coalesce(f, '00000000-0000-0000-0000-000000000000'), coalesce(n, ''), coalesce(t, '00000000-0000-0000-0000-000000000000'),
         md5(url), min(url), mach, sum(clicks), sum(firsts) FROM (
    SELECT (e.occurred_at AT TIME ZONE 'UTC')::date AS day, m.flow_id AS f, m.node_id AS n, m.template_id AS t, e.url, e.machine AS mach,
           count(*) AS clicks, 0 AS firsts
    FROM email_events e JOIN messages m ON m.id = e.message_id
    WHERE e.workspace_id = ws AND e.type = 'clicked' AND e.url IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6
    UNION ALL
    SELECT (x.occurred_at AT TIME ZONE 'UTC')::date, m.flow_id, m.node_id, m.template_id, x.url, x.machine, 0, count(*)
    FROM (SELECT DISTINCT ON (e.message_id, e.url, e.machine) e.message_id, e.url, e.machine, e.occurred_at
          FROM email_events e WHERE e.workspace_id = ws AND e.type = 'clicked' AND e.url IS NOT NULL
          ORDER BY e.message_id, e.url, e.machine, e.occurred_at) x
    JOIN messages m ON m.id = x.message_id GROUP BY 1, 2, 3, 4, 5, 6
  ) u
  GROUP BY 1, 2, 3, 4, 5, 6, 8;

  INSERT INTO flow_enrollments_daily (workspace_id, flow_id, day, enrolled)
  SELECT ws, flow_id, (entered_at AT TIME ZONE 'UTC')::date, count(*) FROM enrollments WHERE workspace_id = ws GROUP BY 2, 3;

  INSERT INTO flow_steps_daily (workspace_id, flow_id, node_id, exit, day, entered)
  SELECT ws, flow_id, node_id, coalesce(exit, ''), (at AT TIME ZONE 'UTC')::date, count(*)
  FROM enrollment_steps WHERE workspace_id = ws AND visit <= 1 GROUP BY 2, 3, 4, 5;

  INSERT INTO contact_growth_daily (workspace_id, day, status, contacts)
  SELECT ws, (created_at AT TIME ZONE 'UTC')::date, status::text, count(*) FROM contacts WHERE workspace_id = ws GROUP BY 2, 3;

  INSERT INTO form_stats_daily (workspace_id, form_id, day, submissions, confirmations)
  SELECT ws, o.form_id, (o.occurred_at AT TIME ZONE 'UTC')::date, count(*),
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM consent_events c WHERE c.contact_id = o.contact_id AND c.kind = 'confirmed' AND c.occurred_at >= o.occurred_at))
  FROM consent_events o WHERE o.workspace_id = ws AND o.kind = 'opt_in' AND o.form_id IS NOT NULL GROUP BY 2, 3;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
DO $$ DECLARE w uuid; BEGIN FOR w IN SELECT id FROM workspaces LOOP PERFORM analytics_rebuild(w); END LOOP; END $$;
