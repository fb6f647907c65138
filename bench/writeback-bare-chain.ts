/**
 * The yardstick of `npm run bench:writeback` (bench/writeback.ts): the chain
 * from a session's completion to its job note as one bare workflow, the same
 * steps in the same order as the lifecycle's completeSessionUpdate, the
 * session pipeline and the writeback run them (for a session with a
 * recording), each a no-op plain activity. (The pipeline's
 * recordSessionCompleted runs beside the writeback, off the path to the
 * note, so it is not here; nor is startSessionPipeline.) The real chain runs
 * the short database steps (persistSessionTransition, beginSessionPipeline,
 * markPipelineState, prepareWritebacks) as local activities; this chain runs
 * every step as a plain activity: Temporal's cost of the chain done plainly.
 * What the real chain costs beyond it is our work: SQL, the blob copy, the
 * AI, FSM requests, three workflows instead of one.
 * Workflow code: bundled on its own by the bench's second worker.
 */
import { proxyActivities } from '@temporalio/workflow';

export const BARE_CHAIN = [
  'persistSessionTransition',
  'beginSessionPipeline',
  'storeRecording',
  'extractProcedures',
  'generateSummary',
  'markPipelineState',
  'prepareWritebacks',
  'postWritebackNote',
] as const;

export type BareChainActivities = Record<(typeof BARE_CHAIN)[number], (id: string) => Promise<void>>;

const activities = proxyActivities<BareChainActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareSessionChainWorkflow(id: string): Promise<void> {
  for (const name of BARE_CHAIN) await activities[name](id);
}
