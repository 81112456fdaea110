import { EmptyState } from "../../../_components/empty-state";

export const metadata = { title: "Forms" };

export default function FormsPage() {
  return (
    <>
      <h1 className="text-2xl font-semibold">Forms</h1>
      <EmptyState title="No signup forms yet">
        <p>Hosted signup forms collect opt-ins you can prove: the wording shown, when, and from where, with double opt-in.</p>
        <p>The form builder is on its way; each form will get a hosted page and embed codes.</p>
      </EmptyState>
    </>
  );
}
