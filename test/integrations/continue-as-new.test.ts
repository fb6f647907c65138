/**
 * The sync workflow's continue-as-new, with a real worker, PostgreSQL and
 * Temporal against a fake ServiceM8 that pages in fives: a listing longer
 * than a run's page budget (input.pagesPerRun) goes on in the next run from
 * the cursor saved on the integration row, reading no page twice and
 * creating no task twice.
 */
import { loadConfig } from '../../config';
import { syncWorkflowId } from '../../domain/ids';
import type { integrationSyncWorkflow } from '../../workflows/integration-sync';
import { FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, firstRow, startHarness } from '../helpers/harness';
import { connectedServiceM8, servicem8Env } from './import-helpers';

let h: Harness;
const fake = new FakeServiceM8();
const JOBS = 23;
const PAGE_SIZE = 5;

beforeAll(async () => {
  fake.pageSize = PAGE_SIZE;
  const url = await fake.start();
  h = await startHarness({ fsm: loadConfig({ NODE_ENV: 'test', ...servicem8Env(fake, url) }).fsm });
  fake.seedJobs(JOBS);
});
afterAll(async () => {
  await h.stop();
  await fake.stop();
});

const firstPageRequests = () => fake.requests.filter((r) => r.path.endsWith('/job.json') && r.query.cursor === '-1').length;

test('a sync longer than its page budget continues as new and resumes from the saved cursor: every job once, no duplicates', async () => {
  const input = await connectedServiceM8(h);
  const firstPages = firstPageRequests();
  const handle = await h.client.workflow.start<typeof integrationSyncWorkflow>('integrationSyncWorkflow', {
    workflowId: syncWorkflowId(input.integrationId),
    taskQueue: h.taskQueue,
    args: [{ ...input, pagesPerRun: 2 }],
  });

  const result = await handle.result();
  // Five pages of jobs (5, 5, 5, 5, 3), each read and imported once across the runs.
  expect(result).toMatchObject({ outcome: 'completed', progress: { phase: 'done', full: true, pages: 5, jobsSeen: JOBS, created: JOBS } });
  const tasks = await firstRow(h.sql<{ n: number; jobs: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT external_job_id)::int AS jobs FROM tasks WHERE integration_id = ${input.integrationId}`);
  expect(tasks).toEqual({ n: JOBS, jobs: JOBS });
  // One listing, started once: the later runs went on from the saved page token.
  expect(firstPageRequests()).toBe(firstPages + 1);

  // Several runs: the first one ended by continuing as new, with the same input.
  const first = await h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
  const last = first.events!.at(-1)!;
  expect(last.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  const latest = await h.client.workflow.getHandle(handle.workflowId).describe();
  expect(latest.runId).not.toBe(handle.firstExecutionRunId);
});
