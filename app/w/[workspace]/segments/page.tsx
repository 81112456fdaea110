import { EmptyState } from "../../../_components/empty-state";

export const metadata = { title: "Segments" };

export default function SegmentsPage() {
  return (
    <>
      <h1 className="text-2xl font-semibold">Segments</h1>
      <EmptyState title="No segments yet">
        <p>Segments slice your audience by who people are and what they did: attributes, tags, events, opens and clicks.</p>
        <p>You will be able to build one here once you have contacts.</p>
      </EmptyState>
    </>
  );
}
