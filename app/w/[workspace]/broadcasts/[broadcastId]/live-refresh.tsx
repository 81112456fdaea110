"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

const REFRESH_MS = 2000;

/**
 * While a broadcast is scheduled or sending (and the tab is visible), the server page renders
 * again every few seconds with fresh progress, as the flow editor's live stats do.
 */
export function LiveRefresh() {
  const router = useRouter();
  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [router]);
  return null;
}
