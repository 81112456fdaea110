import { requireUser } from "@/lib/server/auth/member";
import { NewWorkspaceForm } from "./form";

export const metadata = { title: "New workspace" };

export default async function NewWorkspacePage() {
  const user = await requireUser();
  return (
    <main className="mx-auto max-w-md px-6 py-24">
      <p className="text-sm text-slate-500">Signed in as {user.email}</p>
      <h1 className="mt-2 text-2xl font-semibold">Create your workspace</h1>
      <p className="mt-2 text-sm text-slate-600">
        A workspace holds your contacts, flows, forms and templates. Invite your team to it once it exists.
      </p>
      <NewWorkspaceForm />
    </main>
  );
}
