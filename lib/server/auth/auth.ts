import "server-only";
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import NextAuth, { type NextAuthConfig } from "next-auth";
import GitHub from "next-auth/providers/github";
import Google from "next-auth/providers/google";
import { getDb } from "@/db/client";
import { sha256 } from "@/db/queries/tokens";
import { accounts, sessions, users, verificationTokens } from "@/db/schema/index";
import { configuredTransport, sendEmail } from "../email/transport";
import { env, EnvError } from "@/lib/env";
import { sendCappedSignInLink } from "./sign-in-links";

/** AUTH_SECRET, or a fixed development secret where sessions need not survive outside this machine. */
export function authSecret(): string {
  const e = env();
  if (e.AUTH_SECRET) return e.AUTH_SECRET;
  if (e.NODE_ENV === "production")
    throw new EnvError("AUTH_SECRET", "is required in production (a long random string, e.g. `openssl rand -base64 33`)");
  return "tillit-development-secret-not-for-production";
}

export const SIGN_IN_LINK_LIFETIME_MS = 24 * 3600 * 1000;

function signInEmail(link: string) {
  const text = `Sign in to Tillit\n\nOpen this link to sign in. It works once and expires in 24 hours:\n${link}\n\nIf you did not ask to sign in, ignore this email.`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#0f172a">
<h1 style="font-size:20px">Sign in to Tillit</h1>
<p>Click the button to sign in. The link works once and expires in 24 hours.</p>
<p><a href="${link}" style="display:inline-block;background:#2459c9;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">Sign in</a></p>
<p style="color:#64748b;font-size:13px">If you did not ask to sign in, ignore this email.</p>
</body></html>`;
  return { text, html };
}

function config(): NextAuthConfig {
  const e = env();
  const db = getDb();
  const secret = authSecret();
  const adapter = DrizzleAdapter(db, {
    usersTable: users,
    accountsTable: accounts,
    sessionsTable: sessions,
    verificationTokensTable: verificationTokens,
  });
  return {
    adapter: {
      ...adapter,
      // sendVerificationRequest stores the link itself, under the caps, before its mail goes out;
      // Auth.js would otherwise store it alongside, even when the mail is refused.
      createVerificationToken: (token) => token,
    },
    secret,
    trustHost: true,
    session: { strategy: "database", maxAge: 30 * 24 * 3600 },
    pages: { signIn: "/sign-in", verifyRequest: "/sign-in/check-email", error: "/sign-in/error" },
    providers: [
      {
        id: "email",
        type: "email",
        name: "Email",
        maxAge: SIGN_IN_LINK_LIFETIME_MS / 1000,
        // Named here because the link is stored by us: Auth.js looks it up as sha256(token + secret).
        secret,
        // Through our own transport: Auth.js's Resend provider would ignore RESEND_BASE_URL and the dev mailbox.
        sendVerificationRequest({ identifier, url, token, expires, request }) {
          // Mail scanners open every link; the mail points at a page with a button, so only a person signs in.
          const callback = new URL(url);
          const link = `${callback.origin}/sign-in/confirm?${new URLSearchParams({ link: url })}`;
          // Every way into Auth.js's email sign-in ends here, so the caps on sign-in mail live here.
          const sent = sendCappedSignInLink(db, { request, email: identifier, tokenHash: sha256(`${token}${secret}`), expires }, () =>
            sendEmail(configuredTransport(db), {
              from: e.MAIL_FROM,
              to: [identifier],
              subject: "Your Tillit sign-in link",
              ...signInEmail(link),
              class: "transactional",
            }),
          );
          // Auth.js awaits this only after hashing the token, and a refusal can come sooner: marked
          // handled here so Node does not report it as unhandled. Auth.js still receives it.
          sent.catch(() => {});
          return sent;
        },
      },
      ...(e.AUTH_GITHUB_ID && e.AUTH_GITHUB_SECRET ? [GitHub({ clientId: e.AUTH_GITHUB_ID, clientSecret: e.AUTH_GITHUB_SECRET })] : []),
      ...(e.AUTH_GOOGLE_ID && e.AUTH_GOOGLE_SECRET ? [Google({ clientId: e.AUTH_GOOGLE_ID, clientSecret: e.AUTH_GOOGLE_SECRET })] : []),
    ],
    callbacks: {
      session({ session, user }) {
        session.user.id = user.id;
        return session;
      },
    },
  };
}

// Lazy: the configuration (and the database pool) is built on the first request, not at build time.
export const { handlers, auth, signIn, signOut } = NextAuth(() => config());

/** The OAuth providers switched on by their env vars, for the sign-in page. */
export function oauthProviders(): { id: "github" | "google"; name: string }[] {
  const e = env();
  return [
    ...(e.AUTH_GITHUB_ID && e.AUTH_GITHUB_SECRET ? [{ id: "github" as const, name: "GitHub" }] : []),
    ...(e.AUTH_GOOGLE_ID && e.AUTH_GOOGLE_SECRET ? [{ id: "google" as const, name: "Google" }] : []),
  ];
}
