import { redirect } from "next/navigation";

export default async function WorkspaceHome(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  redirect(`/w/${workspace}/flows`);
}
