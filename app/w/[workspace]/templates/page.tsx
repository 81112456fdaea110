import { EmptyState } from "../../../_components/empty-state";

export const metadata = { title: "Templates" };

export default function TemplatesPage() {
  return (
    <>
      <h1 className="text-2xl font-semibold">Templates</h1>
      <EmptyState title="No templates yet">
        <p>Templates are the messages your flows send: subject, preheader and body with merge fields such as the contact’s first name.</p>
        <p>Every marketing template carries an unsubscribe link and your postal address automatically.</p>
      </EmptyState>
    </>
  );
}
