import { useRouter } from "next/navigation";
import { useEffect } from "react";

const REFRESH_MS = 4000;

/**
 * Live stats: while a published flow is open (and the tab is visible), the server page renders
 * again every few seconds with fresh counters, waiting lists and traces.
 */
export function useLiveStats(p: { currentVersionId: string | null; persist: boolean }) {
  const router = useRouter();
  const { currentVersionId, persist } = p;
  useEffect(() => {
    if (!currentVersionId || !persist) return;
    const t = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [router, currentVersionId, persist]);
}
