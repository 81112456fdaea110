"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

/** Daily signups and confirmations of one form. */
export function SignupsChart(props: { data: { day: string; signups: number; confirmed: number }[] }) {
  return (
    <div className="h-48 w-full" data-testid="signups-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={props.data} margin={{ top: 8, right: 8, bottom: 0, left: -20 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} fontSize={11} />
          <YAxis allowDecimals={false} fontSize={11} />
          <Tooltip />
          <Legend />
          <Bar dataKey="signups" name="Signups" fill="#93c5fd" />
          <Bar dataKey="confirmed" name="Confirmed" fill="#059669" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
