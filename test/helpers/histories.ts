/**
 * Workflow histories for replay tests: exported the way ops export a
 * production history (temporal workflow show --output json), and replayed
 * against the current workflow bundle.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { resolveTemporalCli } from '../../scripts/temporal-server';
import { env } from './harness';

export const HISTORY_FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

/** The history of the workflow's latest run, or of `runId`. */
export function exportHistory(workflowId: string, runId?: string): string {
  const args = ['workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--address', env('TEST_TEMPORAL_ADDRESS'), '--output', 'json'];
  return execFileSync(resolveTemporalCli()!, args, { encoding: 'utf8' });
}

/** Every history must replay without a nondeterminism error. */
export async function expectReplays(histories: { name: string; json: string }[]): Promise<void> {
  const results = Worker.runReplayHistories(
    { workflowBundle: { codePath: env('TEST_WORKFLOW_BUNDLE') } },
    histories.map(({ name, json }) => ({ workflowId: name, history: historyFromJSON(JSON.parse(json)) })),
  );
  for await (const result of results) {
    expect({ workflow: result.workflowId, error: result.error?.message }).toEqual({ workflow: result.workflowId, error: undefined });
  }
}
