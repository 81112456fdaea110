"use client";

import "@xyflow/react/dist/style.css";
import { Background, Controls, MiniMap, ReactFlow, addEdge, useEdgesState, useNodesState, type Connection, type Edge, type Node } from "@xyflow/react";
import { useCallback } from "react";

// A grid of default nodes, each connected to the next: 15 columns × 30 rows = 450 nodes.
function grid(cols: number, rows: number): { nodes: Node[]; edges: Edge[] } {
  const nodes: Node[] = [];
  const edges: Edge[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const id = `${r}-${c}`;
      nodes.push({ id, position: { x: c * 180, y: r * 90 }, data: { label: `Node ${id}` } });
      const prev = nodes[nodes.length - 2];
      if (prev) edges.push({ id: `${prev.id}>${id}`, source: prev.id, target: id });
    }
  }
  return { nodes, edges };
}

const initial = grid(15, 30);

export function StressCanvas() {
  const [nodes, , onNodesChange] = useNodesState(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState(initial.edges);
  const onConnect = useCallback((c: Connection) => setEdges((es) => addEdge(c, es)), [setEdges]);
  return (
    <div className="h-[72vh] min-h-[520px] rounded-lg border border-slate-200" data-testid="canvas">
      <ReactFlow nodes={nodes} edges={edges} onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onConnect={onConnect} fitView minZoom={0.1}>
        <Background />
        <MiniMap />
        <Controls />
      </ReactFlow>
    </div>
  );
}
