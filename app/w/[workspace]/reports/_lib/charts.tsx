"use client";

import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

export type Series = { key: string; label: string; color: string; kind: "bar" | "line"; stack?: string; axis?: "left" | "right" };
export type Reference = { y: number; label: string; color: string };

const palette = { grid: "#e2e8f0", axis: "#64748b" };

/** Days on the x axis; bars and lines on one or two y axes; optional horizontal reference lines. */
export function TimeSeriesChart(props: {
  testId: string;
  data: Record<string, string | number | null>[];
  series: Series[];
  references?: Reference[];
  unit?: string;
  height?: number;
}) {
  const right = props.series.some((s) => s.axis === "right");
  return (
    <div data-testid={props.testId} className="h-64 w-full" style={{ height: props.height ?? 256 }}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={props.data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={palette.grid} vertical={false} />
          <XAxis dataKey="day" tick={{ fontSize: 11, fill: palette.axis }} tickFormatter={(d: string) => d.slice(5)} minTickGap={16} />
          <YAxis yAxisId="left" tick={{ fontSize: 11, fill: palette.axis }} unit={props.unit} width={56} allowDecimals={props.unit === " %"} />
          {right ? <YAxis yAxisId="right" orientation="right" tick={{ fontSize: 11, fill: palette.axis }} width={56} /> : null}
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {props.series.map((s) =>
            s.kind === "bar" ? (
              <Bar key={s.key} yAxisId={s.axis ?? "left"} dataKey={s.key} name={s.label} fill={s.color} stackId={s.stack} isAnimationActive={false} />
            ) : (
              <Line key={s.key} yAxisId={s.axis ?? "left"} dataKey={s.key} name={s.label} stroke={s.color} dot={false} strokeWidth={2} connectNulls isAnimationActive={false} />
            ),
          )}
          {(props.references ?? []).map((r) => (
            <ReferenceLine key={r.label} yAxisId="left" y={r.y} stroke={r.color} strokeDasharray="4 4" label={{ value: r.label, position: "insideTopRight", fontSize: 11, fill: r.color }} ifOverflow="extendDomain" />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Horizontal bars, one per row (funnels, per-flow and per-form comparisons). */
export function BarsChart(props: { testId: string; data: Record<string, string | number>[]; category: string; series: Omit<Series, "kind" | "axis">[]; height?: number }) {
  return (
    <div data-testid={props.testId} className="w-full" style={{ height: props.height ?? Math.max(160, 48 + props.data.length * 36 * Math.max(1, props.series.length * 0.6)) }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={props.data} layout="vertical" margin={{ top: 8, right: 24, bottom: 0, left: 8 }}>
          <CartesianGrid stroke={palette.grid} horizontal={false} />
          <XAxis type="number" tick={{ fontSize: 11, fill: palette.axis }} allowDecimals={false} />
          <YAxis type="category" dataKey={props.category} tick={{ fontSize: 11, fill: palette.axis }} width={150} />
          <Tooltip />
          {props.series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
          {props.series.map((s) => (
            <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.color} stackId={s.stack} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
