ALTER TABLE "conversions" ADD COLUMN "message_node_id" text;--> statement-breakpoint
ALTER TABLE "conversions" ADD COLUMN "split_path" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
-- Hand-written: the split arms an enrollment has taken (first visit of each split node), as
-- recorded on a conversion; used when a conversion is recorded and for the backfill below.
CREATE OR REPLACE FUNCTION conversion_split_path(enrollment uuid, ws uuid) RETURNS jsonb AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('node', s.node_id, 'exit', s.exit, 'at', s.at) ORDER BY s.at, s.node_id), '[]'::jsonb)
  FROM enrollment_steps s
  WHERE s.enrollment_id = enrollment AND s.workspace_id = ws AND s.visit = 1 AND s.exit LIKE 'split:%';
$$ LANGUAGE sql STABLE;
--> statement-breakpoint
UPDATE conversions c SET message_node_id = m.node_id FROM messages m WHERE m.id = c.message_id AND m.workspace_id = c.workspace_id;
--> statement-breakpoint
UPDATE conversions SET split_path = conversion_split_path(enrollment_id, workspace_id);
