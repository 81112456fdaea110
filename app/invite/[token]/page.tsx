import Link from "next/link";
import { getDb } from "@/db/client";
import { findInvitationByToken } from "@/db/queries/members";
import { getWorkspaceSettings } from "@/db/queries/workspaces";
import { currentUser } from "@/lib/server/auth/member";
import { roleLabels } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { ActionForm } from "@/app/_components/action-form";
import { button } from "@/app/_components/styles";
import { acceptInvitationAction } from "./actions";

export const metadata = { title: "Invitation", robots: { index: false } };

const gone = {
  expired: "This invitation has expired. Ask the person who invited you to send a new one.",
  used: "This invitation has already been used. If it was you, sign in to reach the workspace.",
  revoked: "This invitation was withdrawn. Ask the workspace's admins if you still need access.",
  unknown: "This invitation link is not valid. Check that you copied the whole link.",
} as const;

/** GET only shows the invitation; accepting is a POST (the button), so link scanners cannot accept it. */
export default async function InvitationPage(props: { params: Promise<{ token: string }> }) {
  const { token } = await props.params;
  const db = getDb();
  const found = token.length <= 100 ? await findInvitationByToken(db, { token, now: now() }) : { state: "unknown" as const };
  const user = await currentUser();
  return (
    <main className="mx-auto max-w-md px-6 py-24">
      <Link href="/" className="text-xl font-bold tracking-tight text-brand-700">Tillit</Link>
      {found.state !== "valid" || !found.invitation ? (
        <>
          <h1 className="mt-8 text-2xl font-semibold">Invitation unavailable</h1>
          <p role="alert" className="mt-3 text-sm text-slate-600">{gone[found.state === "valid" ? "unknown" : found.state]}</p>
        </>
      ) : (
        <ValidInvitation token={token} invitation={found.invitation} user={user} />
      )}
    </main>
  );
}

async function ValidInvitation(props: {
  token: string;
  invitation: { workspaceId: string; email: string; role: "owner" | "admin" | "editor" | "viewer" };
  user: { email: string } | undefined;
}) {
  const ws = await getWorkspaceSettings(getDb(), { workspaceId: props.invitation.workspaceId });
  return (
    <>
      <h1 className="mt-8 text-2xl font-semibold">Join {ws?.name}</h1>
      <p className="mt-3 text-sm text-slate-600">
        You are invited to join <strong>{ws?.name}</strong> as {roleLabels[props.invitation.role].toLowerCase()} ({props.invitation.email}).
      </p>
      {props.user ? (
        <ActionForm action={acceptInvitationAction} className="mt-6">
          <input type="hidden" name="token" value={props.token} />
          <button type="submit" className={button}>Accept invitation</button>
        </ActionForm>
      ) : (
        <Link href={`/sign-in?${new URLSearchParams({ callbackUrl: `/invite/${props.token}` })}`} className={`${button} mt-6`}>
          Sign in as {props.invitation.email} to accept
        </Link>
      )}
    </>
  );
}
