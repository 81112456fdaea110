-- Every workspace keeps at least one owner: no update or delete of memberships (from the app, a
-- script or psql) may commit leaving a workspace that still exists without one. Checked at commit
-- (deferred), so a hand-over inside one transaction may demote before it promotes, and deleting a
-- workspace (whose memberships cascade) passes.
CREATE OR REPLACE FUNCTION memberships_keep_owner() RETURNS trigger AS $$
BEGIN
  -- Lock the workspace row first: two owners leaving at once then check one after the other, and
  -- the second sees the first one's commit. A deleted workspace locks nothing and needs no owner.
  PERFORM 1 FROM workspaces WHERE id = OLD.workspace_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = OLD.workspace_id AND role = 'owner') THEN
    RAISE EXCEPTION 'workspace % must keep at least one owner', OLD.workspace_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_keep_owner', TABLE = 'memberships';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER memberships_keep_owner
  AFTER UPDATE OR DELETE ON memberships
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (OLD.role = 'owner')
  EXECUTE FUNCTION memberships_keep_owner();
