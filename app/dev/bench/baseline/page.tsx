import { requireDevRoutes } from "../gate";
import { StressCanvas } from "./stress-canvas";

export const metadata = { title: "React Flow baseline" };

/** Plain React Flow with 450 default nodes, like its stress example: the editor benchmark's baseline. */
export default async function BaselinePage() {
  await requireDevRoutes();
  return (
    <main className="p-4">
      <StressCanvas />
    </main>
  );
}
