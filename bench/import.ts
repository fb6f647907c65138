/**
 * npm run bench:import — how fast FSM jobs become tasks, against how fast
 * the same Temporal server starts bare workflows.
 *
 * One run, one Temporal dev server (in memory), one worker. Two kinds of
 * round, each of half of BENCH_IMPORT_JOBS (default 10,000 in all per kind):
 *  - bare: lifecycle workflows started the way the import starts them
 *    (startTaskWorkflow, START_CONCURRENCY at a time), with no FSM and no
 *    database;
 *  - import: a fake FSM (Commusoft's, pages of 500) holding that many new
 *    jobs, imported by integrationSyncWorkflow: listing, upserts, cursor
 *    saves, lifecycle workflow starts.
 * Rounds run bare, import, import, bare, so drift on the machine (other
 * work, a checkpoint) lands on both alike, and each round first waits until
 * the worker has worked off what the previous one left (the workflows it
 * started run their first task on this worker). Both kinds start workflows
 * with the same future due date (one overdue timer each).
 *
 * Headline: import jobs/s ÷ bare starts/s over all rounds; target ≥ 70%.
 * Figures go to bench-results/import.json.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import pMap from 'p-map';
import { LocalBlobStore } from '../blob/local-blob-store';
import { getCommusoftToken } from '../connectors/commusoft';
import { CredentialCipher } from '../db/crypto';
import { createTenant } from '../db/repositories/accounts';
import { createIntegration, saveCredentials } from '../db/repositories/integrations';
import { createSql } from '../db/sql';
import { startDevServer } from '../scripts/temporal-server';
import { startSyncNow } from '../temporal/integration-schedules';
import { START_CONCURRENCY, startTaskWorkflow } from '../temporal/task-workflows';
import { COMMUSOFT_BASE_PATH, FakeCommusoft } from '../test/fakes/commusoft';
import { createWorker } from '../worker';
import { benchConfig, prepareDatabase, table, writeResult } from './lib';

const JOBS = Number(process.env.BENCH_IMPORT_JOBS || 10_000);
const ROUND = Math.ceil(JOBS / 2);
const PAGE_SIZE = 500;
const TARGET = 0.7;
/** Upcoming work: a due date in the past would make each new task overdue at once, an extra activity per task. */
const DUE_AT = new Date(Date.now() + 30 * 86_400_000).toISOString();

async function main(): Promise<void> {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never });
  const { url } = await prepareDatabase({ name: 'taskhub_bench_import', tag: 'taskhub-bench import v1: schema only', load: async () => {} });
  const temporal = await startDevServer({ log: (m) => console.log(`temporal: ${m}`) });
  const fake = new FakeCommusoft();
  const fsmUrl = `${await fake.start()}${COMMUSOFT_BASE_PATH}`;
  const taskQueue = `bench-import-${randomUUID()}`;
  const config = benchConfig({ databaseUrl: url, temporalAddress: temporal.address, taskQueue }, {
    COMMUSOFT_BASE_URL: fsmUrl,
    COMMUSOFT_PAGE_SIZE: String(PAGE_SIZE),
  });
  const sql = createSql(url, { max: config.databasePoolMax });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const worker = await createWorker({ config, sql, blobs: new LocalBlobStore(config.blobDir), client, connection: nativeConnection });
  const running = worker.run();
  const deps = { client, taskQueue, historyLimit: config.taskHistoryLimit };

  /** Returns once the worker has worked off the workflow tasks queued before it (a workflow run after them). */
  const drained = () => client.workflow.execute('reconcileTaskWorkflowsWorkflow', { taskQueue, workflowId: `drain-${randomUUID()}`, args: [{ graceSeconds: 10 ** 9 }] });

  async function timed(fn: () => Promise<void>): Promise<number> {
    await drained();
    const started = performance.now();
    await fn();
    return (performance.now() - started) / 1000;
  }

  const bare = () =>
    timed(async () => {
      const tasks = Array.from({ length: ROUND }, () => ({ id: randomUUID(), tenantId: randomUUID(), status: 'open' as const, completionSource: null, dueAt: new Date(DUE_AT), createdAt: new Date() }));
      await pMap(tasks, (task) => startTaskWorkflow(deps, task), { concurrency: START_CONCURRENCY });
    });

  async function imported(): Promise<number> {
    fake.records.reset();
    for (const id of fake.seedJobs(ROUND)) fake.records.get(id).diaryEvents[0]!.startDateTime = DUE_AT;
    const tenant = await createTenant(sql, `bench import ${randomUUID().slice(0, 8)}`);
    const integration = await createIntegration(sql, tenant.id, { provider: 'commusoft', displayName: 'bench', syncDirection: 'import', settings: {} });
    const login = { ...fake.credentials };
    const credentials = { accessToken: await getCommusoftToken(fsmUrl, login), refreshToken: null, login };
    await saveCredentials(sql, new CredentialCipher(config.credentialsKey), tenant.id, integration.id, credentials, null);
    const seconds = await timed(async () => {
      const result = await (await startSyncNow(client, taskQueue, { tenantId: tenant.id, integrationId: integration.id })).result();
      if (result.outcome !== 'completed') throw new Error(`the import did not finish: ${JSON.stringify(result)}`);
    });
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tasks WHERE integration_id = ${integration.id} AND workflow_started_at IS NOT NULL`;
    if (row!.n !== ROUND) throw new Error(`imported ${row!.n} tasks with their workflows, expected ${ROUND}`);
    return seconds;
  }

  const loadAverage = { before: os.loadavg(), after: [] as number[] };
  try {
    console.log(`${ROUND.toLocaleString('en')} per round, rounds bare / import / import / bare; imports from a fake Commusoft in pages of ${PAGE_SIZE}…`);
    const rounds: { kind: 'bare' | 'import'; seconds: number }[] = [];
    for (const kind of ['bare', 'import', 'import', 'bare'] as const) {
      const seconds = kind === 'bare' ? await bare() : await imported();
      rounds.push({ kind, seconds });
      console.log(`  ${kind}: ${ROUND} in ${seconds.toFixed(1)} s (${(ROUND / seconds).toFixed(0)}/s)`);
    }
    loadAverage.after = os.loadavg();
    const total = (kind: 'bare' | 'import') => rounds.filter((r) => r.kind === kind).reduce((sum, r) => sum + r.seconds, 0);
    const count = 2 * ROUND;
    const barePerSecond = count / total('bare');
    const importPerSecond = count / total('import');
    const ratio = importPerSecond / barePerSecond;
    console.log(
      `\n${table(
        ['what', 'count', 'seconds', 'per second'],
        [
          ['bare workflow starts', String(count), total('bare').toFixed(1), barePerSecond.toFixed(0)],
          ['jobs imported as tasks', String(count), total('import').toFixed(1), importPerSecond.toFixed(0)],
        ],
      )}\n\nImport rate / bare start rate: ${(ratio * 100).toFixed(0)}% (target ≥ ${TARGET * 100}%): ${ratio >= TARGET ? 'PASS' : 'FAIL'}`,
    );
    if (loadAverage.before[0]! > os.cpus().length) console.warn(`Warning: load average ${loadAverage.before[0]!.toFixed(1)} on ${os.cpus().length} CPUs: other work skews these figures`);
    const file = writeResult({
      name: 'import',
      ratio,
      target: TARGET,
      pass: ratio >= TARGET,
      jobs: count,
      fsm: 'commusoft (fake)',
      pageSize: PAGE_SIZE,
      startConcurrency: START_CONCURRENCY,
      bare: { seconds: total('bare'), perSecond: barePerSecond },
      import: { seconds: total('import'), perSecond: importPerSecond },
      rounds,
      loadAverage,
    });
    console.log(`Written to ${file}`);
  } finally {
    worker.shutdown();
    await running;
    await Promise.all([sql.end(), connection.close(), nativeConnection.close(), fake.stop()]);
    await temporal.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
