ALTER TABLE "event_outbox" DROP CONSTRAINT "event_outbox_event_id_events_id_fk";
--> statement-breakpoint
-- hand-written: what the dropped foreign key's cascade did, without a key check (and its row lock
-- on the event) for every outbox row the ingest writes. Fires for cascaded deletes too (workspace,
-- contact) and for erasure, so a deleted event is never forwarded.
CREATE FUNCTION "event_outbox_forget_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "event_outbox" o USING "deleted_events" d WHERE o."event_id" = d."id";
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "events_forget_outbox" AFTER DELETE ON "events" REFERENCING OLD TABLE AS "deleted_events" FOR EACH STATEMENT EXECUTE FUNCTION "event_outbox_forget_deleted"();
