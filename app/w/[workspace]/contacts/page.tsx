import { EmptyState } from "../../../_components/empty-state";

export const metadata = { title: "Contacts" };

export default function ContactsPage() {
  return (
    <>
      <h1 className="text-2xl font-semibold">Contacts</h1>
      <EmptyState title="No contacts yet">
        <p>Contacts arrive through your signup forms, the tracking API, a CSV import, or by hand — each with the consent record that lets you mail them.</p>
        <p>Next step: publish a signup form, or import the list you already have once importing lands.</p>
      </EmptyState>
    </>
  );
}
