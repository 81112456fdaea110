-- The consent ledger is append-only. The one exception is erasure, which redacts personal
-- fields (to NULL) and keeps each row's kind, time, source and form version.
CREATE OR REPLACE FUNCTION consent_events_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    -- A workspace being deleted takes its ledger with it; nothing else deletes ledger rows.
    IF EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id) THEN
      RAISE EXCEPTION 'consent_events is append-only: rows cannot be deleted' USING ERRCODE = 'P0001';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id
     OR NEW.workspace_id IS DISTINCT FROM OLD.workspace_id
     OR NEW.kind IS DISTINCT FROM OLD.kind
     OR NEW.topic IS DISTINCT FROM OLD.topic
     OR NEW.source IS DISTINCT FROM OLD.source
     OR NEW.form_id IS DISTINCT FROM OLD.form_id
     OR NEW.form_version IS DISTINCT FROM OLD.form_version
     OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
     OR (NEW.contact_id IS NOT NULL AND NEW.contact_id IS DISTINCT FROM OLD.contact_id)
     OR (NEW.email IS NOT NULL AND NEW.email IS DISTINCT FROM OLD.email)
     OR (NEW.ip IS NOT NULL AND NEW.ip IS DISTINCT FROM OLD.ip)
     OR (NEW.user_agent IS NOT NULL AND NEW.user_agent IS DISTINCT FROM OLD.user_agent)
     OR (NEW.wording IS DISTINCT FROM OLD.wording)
     OR (NEW.privacy_notice_url IS DISTINCT FROM OLD.privacy_notice_url)
     OR (NEW.actor_user_id IS NOT NULL AND NEW.actor_user_id IS DISTINCT FROM OLD.actor_user_id)
     OR (NEW.data IS DISTINCT FROM OLD.data AND NEW.data <> '{}'::jsonb) THEN
    RAISE EXCEPTION 'consent_events is append-only: only erasure may redact personal fields' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER consent_events_append_only
  BEFORE UPDATE OR DELETE ON consent_events
  FOR EACH ROW EXECUTE FUNCTION consent_events_guard();
