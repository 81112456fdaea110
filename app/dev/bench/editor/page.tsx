import { FlowEditor } from "@/app/w/[workspace]/flows/[flowId]/_editor/flow-editor";
import { requireDevRoutes } from "../gate";
import { largeFlow } from "../large-flow";

export const metadata = { title: "Editor benchmark" };

/** The real flow editor on a generated 500-node, 500-edge flow, for `npm run bench editor`. */
export default async function EditorBenchPage() {
  await requireDevRoutes();
  const draft = largeFlow(500);
  return (
    <main className="p-4">
      <FlowEditor
        workspace="bench"
        timeZone="UTC"
        flow={{ id: "00000000-0000-4000-8000-000000000000", name: "Benchmark", status: "draft", revision: 0, currentVersionId: null, providerWaitHours: 24 }}
        failedTotal={0}
        draft={draft}
        draftProblem={null}
        canEdit
        canPublish={false}
        persist={false}
        versions={[]}
        stats={{}}
        waitingInCurrent={[]}
        pickers={{ templates: [], tags: [], events: [], attributes: [], segments: [], members: [] }}
        changedTemplates={[]}
        contacts={[]}
        waitingList={null}
        trace={null}
      />
    </main>
  );
}
