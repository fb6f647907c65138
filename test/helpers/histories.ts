/**
 * Workflow histories for replay tests: exported the way ops export a
 * production history (temporal workflow show --output json), and replayed
 * against the current workflow bundle.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { resolveTemporalCli } from '../../scripts/temporal-server';
import { env } from './harness';

export const HISTORY_FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

/** Where this checkout lives: stack traces in a history name it, and a fixture should not. */
const CHECKOUT = path.resolve(__dirname, '..', '..') + path.sep;

/** The history of the workflow's latest run, or of `runId`, with this checkout's path cut from its stack traces. */
export function exportHistory(workflowId: string, runId?: string): string {
  const args = ['workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--address', env('TEST_TEMPORAL_ADDRESS'), '--output', 'json'];
  return execFileSync(resolveTemporalCli()!, args, { encoding: 'utf8' }).split(CHECKOUT).join('');
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

/**
 * With RECORD_HISTORIES=1, saves each history whose fixture file is missing.
 * An existing fixture is never overwritten: it is the proof that runs
 * started under the code that recorded it still replay. Delete one only when
 * no such run can be left anywhere.
 */
export function recordMissingFixtures(histories: { name: string; json: string }[]): void {
  if (!process.env.RECORD_HISTORIES) return;
  for (const { name, json } of histories) {
    try {
      writeFileSync(path.join(HISTORY_FIXTURES, `${name}.json`), json + '\n', { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
