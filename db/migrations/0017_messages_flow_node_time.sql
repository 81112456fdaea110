-- The flow report's list of a node's latest messages reads backwards along (flow, node, time).
DROP INDEX "messages_flow_node_idx";--> statement-breakpoint
CREATE INDEX "messages_flow_node_idx" ON "messages" USING btree ("flow_id","node_id","created_at");