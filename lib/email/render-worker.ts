import { serveJobs } from "../worker-pool";
import { renderResultCodec, runRenderJob, type RenderJob, type RenderResult } from "./render-jobs";

/** A render pool worker thread (lib/server/email/render-pool.ts starts it from a bundle of this file). */
serveJobs<RenderJob, RenderResult>((job, deadline) => runRenderJob(job, deadline), renderResultCodec);
