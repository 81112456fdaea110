import { EmptyState } from "../../../_components/empty-state";

export const metadata = { title: "Flows" };

export default function FlowsPage() {
  return (
    <>
      <h1 className="text-2xl font-semibold">Flows</h1>
      <EmptyState title="No flows yet">
        <p>A flow is a drip campaign drawn on a canvas: a trigger, waits, conditions and messages, run once for each contact who enters it.</p>
        <p>The flow editor is on its way. Once it lands, start here with “New flow”.</p>
      </EmptyState>
    </>
  );
}
