/**
 * Starts what every suite shares, once: a fresh PostgreSQL database with the
 * migrations applied, a Temporal dev server, and the workflow bundle.
 * Suites read them from TEST_* environment variables (see harness.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import postgres from 'postgres';
import { migrate } from '../../db/migrate';
import { startEmbeddedPostgres } from '../../scripts/embedded-db';
import { freePort, startDevServer } from '../../scripts/temporal-server';

// One database per run, so runs side by side (CI, a developer, a helper) never share rows.
const TEST_DB = `taskhub_test_${process.pid}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freshDatabase(): Promise<{ url: string; stop?: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    // No server given: the embedded one, as npm run dev uses.
    // Its own data folder per run (removed at teardown with TEST_TMP_DIR), so runs never share one.
    const db = await startEmbeddedPostgres({ dir: path.join(tmpDir(), 'pg'), port: await freePort(), database: 'postgres' });
    const url = new URL(db.url);
    return { url: await recreate(url), stop: db.stop };
  }
  return { url: await recreate(new URL(base)) };
}

async function recreate(server: URL): Promise<string> {
  const admin = postgres(server.toString(), { max: 1, onnotice: () => {} });
  try {
    // Databases of runs that died without their teardown.
    const stale = await admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE 'taskhub\_test\_%'`;
    for (const { datname } of stale) {
      if (!alive(Number(datname.split('_').pop()))) await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.unsafe(`CREATE DATABASE ${TEST_DB}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.toString());
  url.pathname = `/${TEST_DB}`;
  return url.toString();
}

function tmpDir(): string {
  const dir = path.join(os.tmpdir(), `taskhub-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const [db, temporal] = await Promise.all([freshDatabase(), startDevServer({ log: (m) => process.stderr.write(`temporal: ${m}\n`) })]);
  await migrate(db.url);
  const dir = tmpDir();
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  writeFileSync(bundlePath, code);

  process.env.TEST_DATABASE_URL = db.url;
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.TEST_TMP_DIR = dir;
  const dropDatabase = async () => {
    const admin = postgres(db.url.replace(`/${TEST_DB}`, '/postgres'), { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEST_DB} WITH (FORCE)`).finally(() => admin.end());
  };
  (globalThis as { __taskhub?: unknown }).__taskhub = { temporal, db, dropDatabase };
  process.stderr.write(`\ntest harness ready in ${Date.now() - started} ms: temporal ${temporal.address}\n`);
}
