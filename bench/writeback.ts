/**
 * npm run bench:writeback — how long a completed session's job note takes
 * to reach the FSM, against the same chain of activities as a bare workflow
 * on the same Temporal server.
 *
 * One run, one Temporal dev server (in memory), one PostgreSQL database, a
 * fake ServiceM8 in this process, the real worker and the real API (inject).
 *  - real: a session (with a small recording) on a task that came from a
 *    ServiceM8 job, completed through POST /v1/sessions/:id/complete. The
 *    latency runs from that request being sent to the fake applying the note
 *    (its arrival time, taken in the fake): lifecycle update, pipeline
 *    (recording copy, built-in AI, writeback row), writeback workflow, FSM
 *    requests. Twenty tenants, each with its own integration (ServiceM8's
 *    rate limit is per integration), one session each per batch.
 *  - bare: bench/writeback-bare-chain.ts, the same steps in the same order
 *    as no-op plain activities (the real chain runs its short database steps
 *    as local activities), on a second worker in this process; from the
 *    start request being sent to its last activity running.
 * Batches of BATCH (20) run together; a batch is done when every note has
 * arrived (every bare chain has ended) and every workflow it started has
 * closed. Batches alternate real / bare, the order swapping each round, so
 * drift on the machine lands on both alike; one warm-up round of each is
 * not recorded.
 *
 * Headline: p50 real ÷ p50 bare; target ≤ 1.5. Figures go to
 * bench-results/writeback.json.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { LocalBlobStore } from '../blob/local-blob-store';
import { createSql } from '../db/sql';
import { sessionWorkflowId, writebackWorkflowId } from '../domain/ids';
import { startDevServer } from '../scripts/temporal-server';
import { SERVICEM8_API_PREFIX, FakeServiceM8 } from '../test/fakes/servicem8';
import { servicem8Config, tasksFromJobs, writebackIntegration } from '../test/faults/fixture';
import { createTenantFixture } from '../test/helpers/harness';
import { createWorker } from '../worker';
import { BARE_CHAIN, type BareChainActivities } from './writeback-bare-chain';
import { type Stats, benchConfig, ms, prepareDatabase, summarize, table, writeResult } from './lib';

const SESSIONS = Number(process.env.BENCH_WRITEBACK_SESSIONS || 200);
const BATCH = 20;
const ROUNDS = Math.ceil(SESSIONS / BATCH);
const TARGET = 1.5;
const RECORDING = Buffer.alloc(64 * 1024, 'recording');

type Kind = 'real' | 'bare';

/** Resolves when the fake has applied a note to the job: the time it did (performance.now()). */
function watchNotes(fake: FakeServiceM8): (jobUuid: string) => Promise<number> {
  const waiting = new Map<string, (at: number) => void>();
  // onSend runs once the route handler has stored the note, before the answer leaves.
  fake.app.addHook('onSend', async (req, reply, payload) => {
    const job = (req.body as { related_object_uuid?: string } | undefined)?.related_object_uuid;
    if (req.method === 'POST' && req.url.startsWith(`${SERVICEM8_API_PREFIX}/note.json`) && reply.statusCode === 200 && job) waiting.get(job)?.(performance.now());
    return payload;
  });
  return (jobUuid) => new Promise((resolve) => waiting.set(jobUuid, resolve));
}

/** What a run starts, stopped in reverse order whatever failed. */
class Resources {
  private readonly stops: (() => unknown)[] = [];
  add<T>(resource: T, stop: (r: T) => unknown): T {
    this.stops.push(() => stop(resource));
    return resource;
  }
  async stopAll(): Promise<void> {
    for (const stop of this.stops.reverse()) await Promise.resolve().then(stop).catch((err: unknown) => console.error('stopping:', err));
  }
}

/** Everything both kinds of batch run on: one Temporal server, the API and worker, the fake FSM, and the bare chain's worker. */
async function startBench(url: string, r: Resources) {
  const temporal = r.add(await startDevServer({ log: (m) => console.log(`temporal: ${m}`) }), (t) => t.stop());
  const fake = new FakeServiceM8();
  const noteOn = watchNotes(fake);
  const fsmUrl = r.add(await fake.start(), () => fake.stop());
  const taskQueue = `bench-writeback-${randomUUID()}`;
  const blobDir = r.add(path.join(os.tmpdir(), `taskhub-bench-writeback-${randomUUID()}`), (dir) => rmSync(dir, { recursive: true, force: true }));
  const config = benchConfig({ databaseUrl: url, temporalAddress: temporal.address, taskQueue }, {
    BLOB_DIR: blobDir,
    AI_PROVIDER: 'builtin',
    ...servicem8Config(fake, fsmUrl).env,
  });
  // A pool each, as the API and the worker have in their own processes.
  const sql = r.add(createSql(url, { max: config.databasePoolMax }), (s) => s.end());
  const workerSql = r.add(createSql(url, { max: config.databasePoolMax }), (s) => s.end());
  const client = new Client({ connection: r.add(await Connection.connect({ address: temporal.address }), (c) => c.close()) });
  const nativeConnection = r.add(await NativeConnection.connect({ address: temporal.address }), (c) => c.close());
  const blobs = new LocalBlobStore(blobDir);
  const deps = { client, taskQueue, historyLimit: config.taskHistoryLimit };
  const app = r.add(await buildApp({ config, sql, blobs, temporal: deps }), (a) => a.close());
  const runWorker = (worker: Worker) => {
    const running = worker.run();
    r.add(worker, async (w) => {
      w.shutdown();
      await running;
    });
  };
  runWorker(await createWorker({ config, sql: workerSql, blobs, client, connection: nativeConnection }));

  const bareDone = new Map<string, (at: number) => void>();
  const noop = async (_id: string) => {};
  const bareActivities: BareChainActivities = {
    ...(Object.fromEntries(BARE_CHAIN.map((name) => [name, noop])) as BareChainActivities),
    postWritebackNote: async (id) => bareDone.get(id)?.(performance.now()),
  };
  const bareQueue = `${taskQueue}-bare`;
  runWorker(await Worker.create({ connection: nativeConnection, taskQueue: bareQueue, workflowsPath: require.resolve('./writeback-bare-chain'), activities: bareActivities }));
  return { config, sql, client, deps, app, fake, noteOn, bareQueue, bareDone };
}

type Bench = Awaited<ReturnType<typeof startBench>>;
type Auth = Record<string, string>;

async function inject(b: Bench, method: 'POST' | 'PUT', route: string, auth: Auth, payload: object | Buffer, headers: Record<string, string> = {}) {
  const res = await b.app.inject({ method, url: route, headers: { ...auth, ...headers }, payload });
  if (res.statusCode >= 300) throw new Error(`${method} ${route}: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string }>();
}

/** Twenty tenants, each with a connected ServiceM8 integration (writeback on) and one task per round from its jobs. */
async function setUpTenants(b: Bench) {
  const jobs = b.fake.seedJobs(BATCH * (ROUNDS + 1));
  return Promise.all(
    Array.from({ length: BATCH }, async (_, slot) => {
      const tenant = await createTenantFixture(b.sql, 'Bench writeback');
      const integrationId = await writebackIntegration(b.sql, b.config.credentialsKey, b.fake, tenant.tenantId);
      const mine = jobs.filter((_, i) => i % BATCH === slot);
      const taskIds = await tasksFromJobs(b.sql, b.deps, tenant.tenantId, integrationId, mine);
      return { auth: tenant.admin.auth, work: taskIds.map((taskId, i) => ({ taskId, jobUuid: mine[i]! })) };
    }),
  );
}

type Tenants = Awaited<ReturnType<typeof setUpTenants>>;

/** One session per tenant, started and its recording uploaded (not timed), then all completed at once. */
async function realBatch(b: Bench, tenants: Tenants, round: number): Promise<number[]> {
  const sessions = await Promise.all(
    tenants.map(async ({ auth, work }) => {
      const { taskId, jobUuid } = work[round]!;
      const { id } = await inject(b, 'POST', '/v1/sessions', auth, { taskId });
      await inject(b, 'PUT', `/v1/sessions/${id}/recording`, auth, RECORDING, { 'content-type': 'video/mp4' });
      return { auth, id, jobUuid };
    }),
  );
  return Promise.all(
    sessions.map(async ({ auth, id, jobUuid }) => {
      const arrived = b.noteOn(jobUuid);
      const sent = performance.now();
      await inject(b, 'POST', `/v1/sessions/${id}/complete`, auth, { score: 90, durationSeconds: 600, notes: 'Bench session' });
      const latency = (await arrived) - sent;
      const [integrationId] = (await b.sql<{ integrationId: string }[]>`SELECT integration_id FROM writebacks WHERE session_id = ${id}`).map((w) => w.integrationId);
      await Promise.all([b.client.workflow.getHandle(sessionWorkflowId(id)).result(), b.client.workflow.getHandle(writebackWorkflowId(id, integrationId!)).result()]);
      return latency;
    }),
  );
}

async function bareBatch(b: Bench): Promise<number[]> {
  return Promise.all(
    Array.from({ length: BATCH }, async () => {
      const id = randomUUID();
      const done = new Promise<number>((resolve) => b.bareDone.set(id, resolve));
      const sent = performance.now();
      const handle = await b.client.workflow.start('bareSessionChainWorkflow', { taskQueue: b.bareQueue, workflowId: `bare-chain/${id}`, args: [id] });
      const latency = (await done) - sent;
      await handle.result();
      b.bareDone.delete(id);
      return latency;
    }),
  );
}

function report(samples: Record<Kind, number[]>, loadAverage: { before: number[]; after: number[] }): void {
  const real = summarize(samples.real);
  const bare = summarize(samples.bare);
  const ratio = real.p50 / bare.p50;
  const row = (what: string, s: Stats) => [what, String(s.n), ms(s.p50), ms(s.p99), ms(s.max)];
  console.log(
    `\n${table(
      ['what (ms)', 'n', 'p50', 'p99', 'max'],
      [row('complete sent → note at the FSM', real), row(`bare chain start → last of ${BARE_CHAIN.length} no-ops`, bare)],
    )}\n\np50 real / p50 bare: ${ratio.toFixed(2)}× (target ≤ ${TARGET}×): ${ratio <= TARGET ? 'PASS' : 'FAIL'}`,
  );
  if (loadAverage.before[0]! > os.cpus().length) console.warn(`Warning: load average ${loadAverage.before[0]!.toFixed(1)} on ${os.cpus().length} CPUs: other work skews these figures`);
  const file = writeResult({
    name: 'writeback',
    ratio,
    target: TARGET,
    pass: ratio <= TARGET,
    sessions: samples.real.length,
    batch: BATCH,
    fsm: 'servicem8 (fake, in process)',
    ai: 'builtin',
    recordingBytes: RECORDING.length,
    measured: { real: 'POST /v1/sessions/:id/complete sent → note applied by the fake FSM', bare: `workflow start sent → last of ${BARE_CHAIN.length} no-op activities running` },
    real,
    bare,
    loadAverage,
  });
  console.log(`Written to ${file}`);
}

async function main(): Promise<void> {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never });
  const { url } = await prepareDatabase({ name: 'taskhub_bench_writeback', tag: 'taskhub-bench writeback v1: schema only', load: async () => {} });
  const r = new Resources();
  try {
    const b = await startBench(url, r);
    const tenants = await setUpTenants(b);
    const loadAverage = { before: os.loadavg(), after: [] as number[] };
    console.log(`${ROUNDS * BATCH} sessions in batches of ${BATCH}, against a bare chain of ${BARE_CHAIN.length} no-op activities; one warm-up round…`);
    const samples: Record<Kind, number[]> = { real: [], bare: [] };
    for (let round = 0; round <= ROUNDS; round++) {
      const order: Kind[] = round % 2 === 0 ? ['real', 'bare'] : ['bare', 'real'];
      for (const kind of order) {
        const latencies = kind === 'real' ? await realBatch(b, tenants, round) : await bareBatch(b);
        if (round > 0) samples[kind].push(...latencies);
      }
    }
    loadAverage.after = os.loadavg();
    report(samples, loadAverage);
  } finally {
    await r.stopAll();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
