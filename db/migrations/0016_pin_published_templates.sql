-- Flow versions published before template pinning (0015) name their send-email templates by id
-- only. Pin each of them to a version made from the template's current content (reusing a
-- version with the same content hash), so every published version has its pins and sends what
-- it pinned from now on. A send-email node whose template no longer exists gets no pin: its
-- sends are skipped ("not pinned") until the flow is published again.
-- The content hash is db/queries/template-versions.ts `contentHash`, spelled out here.
WITH sent AS (
  SELECT DISTINCT t.id
  FROM flow_versions fv
  CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(fv.plan->'nodes') = 'object' THEN fv.plan->'nodes' ELSE '{}'::jsonb END) AS n(node_id, node)
  JOIN templates t ON t.workspace_id = fv.workspace_id AND t.id::text = lower(n.node->'config'->>'templateId')
  WHERE n.node->>'kind' = 'send-email'
),
hashed AS (
  SELECT t.*, encode(sha256(convert_to(jsonb_build_object('class', t.class, 'topic', t.topic, 'subject', t.subject, 'preheader', t.preheader, 'body', t.body)::text, 'UTF8')), 'hex') AS hash
  FROM templates t JOIN sent s ON s.id = t.id
)
INSERT INTO template_versions (workspace_id, template_id, number, hash, name, class, topic, subject, preheader, body)
SELECT h.workspace_id, h.id,
       coalesce((SELECT max(v.number) FROM template_versions v WHERE v.workspace_id = h.workspace_id AND v.template_id = h.id), 0) + 1,
       h.hash, h.name, h.class, h.topic, h.subject, h.preheader, h.body
FROM hashed h
WHERE NOT EXISTS (SELECT 1 FROM template_versions v WHERE v.workspace_id = h.workspace_id AND v.template_id = h.id AND v.hash = h.hash);
--> statement-breakpoint
INSERT INTO flow_version_templates (workspace_id, flow_version_id, template_id, template_version_id)
SELECT DISTINCT ON (fv.id, t.id) fv.workspace_id, fv.id, t.id, v.id
FROM flow_versions fv
CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(fv.plan->'nodes') = 'object' THEN fv.plan->'nodes' ELSE '{}'::jsonb END) AS n(node_id, node)
JOIN templates t ON t.workspace_id = fv.workspace_id AND t.id::text = lower(n.node->'config'->>'templateId')
JOIN template_versions v ON v.workspace_id = t.workspace_id AND v.template_id = t.id
  AND v.hash = encode(sha256(convert_to(jsonb_build_object('class', t.class, 'topic', t.topic, 'subject', t.subject, 'preheader', t.preheader, 'body', t.body)::text, 'UTF8')), 'hex')
WHERE n.node->>'kind' = 'send-email'
ORDER BY fv.id, t.id, v.number DESC
ON CONFLICT (flow_version_id, template_id) DO NOTHING;
