import { EmptyState } from "../../../_components/empty-state";

export const metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <>
      <h1 className="text-2xl font-semibold">Settings</h1>
      <EmptyState title="Workspace settings">
        <p>Your sending identity, the postal address marketing mail must carry, members, API keys and the audit log will be managed here.</p>
        <p>Until then, these come from the workspace record.</p>
      </EmptyState>
    </>
  );
}
