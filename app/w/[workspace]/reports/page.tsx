import { EmptyState } from "../../../_components/empty-state";

export const metadata = { title: "Reports" };

export default function ReportsPage() {
  return (
    <>
      <h1 className="text-2xl font-semibold">Reports</h1>
      <EmptyState title="Nothing to report yet">
        <p>Reports show what each flow and message earned: sends, opens, clicks, conversions and revenue, and your list’s health.</p>
        <p>Figures appear here once your first flow has sent mail.</p>
      </EmptyState>
    </>
  );
}
