/**
 * Per-suite harness: real PostgreSQL, the shared Temporal dev server, a
 * worker on this suite's own task queue running the real activities, and
 * the real app for inject(). Suites isolate by tenant: every test makes its
 * own, so nothing is truncated between tests.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { type App, buildApp } from '../../api/app';
import { LocalBlobStore } from '../../blob/local-blob-store';
import { type Config, loadConfig } from '../../config';
import { createTenant, createToken, createUser } from '../../db/repositories/accounts';
import { createSql, type Sql } from '../../db/sql';
import type { TaskWorkflowDeps } from '../../temporal/task-workflows';
import { createWorker } from '../../worker';

let runtimeInstalled = false;

export interface Harness {
  config: Config;
  sql: Sql;
  client: Client;
  app: App;
  blobs: LocalBlobStore;
  temporal: TaskWorkflowDeps;
  taskQueue: string;
  /** Starts (again) a worker on the suite's task queue. */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface TenantFixture {
  tenantId: string;
  admin: { id: string; token: string; auth: { authorization: string } };
  engineer: { id: string; token: string; auth: { authorization: string } };
  apiKey: { token: string; auth: { authorization: string } };
}

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suites through jest (test/helpers/global-setup.ts)`);
  return value;
}

export async function startHarness(overrides: Partial<Config> = {}): Promise<Harness> {
  if (!runtimeInstalled) {
    // Keep the SDK's own logs to warnings, so test output stays readable.
    Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as never });
    runtimeInstalled = true;
  }
  const taskQueue = `test-${randomUUID()}`;
  const base = loadConfig({ NODE_ENV: 'test', DATABASE_URL: env('TEST_DATABASE_URL'), TEMPORAL_ADDRESS: env('TEST_TEMPORAL_ADDRESS') });
  const config: Config = {
    ...base,
    blobDir: path.join(os.tmpdir(), `taskhub-blobs-${randomUUID()}`),
    ...overrides,
    temporal: { ...base.temporal, taskQueue, ...overrides.temporal },
  };
  const sql = createSql(config.databaseUrl!, { max: 5 });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const blobs = new LocalBlobStore(config.blobDir);
  const temporal: TaskWorkflowDeps = { client, taskQueue, historyLimit: config.taskHistoryLimit };
  const app = await buildApp({ config, sql, blobs, temporal });

  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  const harness: Harness = {
    config,
    sql,
    client,
    app,
    blobs,
    temporal,
    taskQueue,
    async startWorker() {
      worker = await createWorker({
        config,
        sql,
        blobs,
        client,
        connection: nativeConnection,
        workflowBundle: { codePath: env('TEST_WORKFLOW_BUNDLE') },
      });
      running = worker.run();
    },
    async stopWorker() {
      if (!worker) return;
      worker.shutdown();
      await running;
      worker = null;
    },
    async stop() {
      await harness.stopWorker();
      await app.close();
      await Promise.all([sql.end(), connection.close(), nativeConnection.close()]);
    },
  };
  await harness.startWorker();
  return harness;
}

/** A new tenant with an admin, an engineer and an API key. */
export async function createTenantFixture(sql: Sql, name = 'Tenant'): Promise<TenantFixture> {
  const tenant = await createTenant(sql, `${name} ${randomUUID().slice(0, 8)}`);
  const admin = await createUser(sql, tenant.id, { email: `admin-${randomUUID()}@t.test`, name: 'Ada Admin', role: 'admin' });
  const engineer = await createUser(sql, tenant.id, { email: `eng-${randomUUID()}@t.test`, name: 'Eddie Engineer', role: 'engineer' });
  const adminToken = (await createToken(sql, tenant.id, { userId: admin.id })).token;
  const engineerToken = (await createToken(sql, tenant.id, { userId: engineer.id })).token;
  const apiKeyToken = (await createToken(sql, tenant.id, { name: 'key' })).token;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    tenantId: tenant.id,
    admin: { id: admin.id, token: adminToken, auth: auth(adminToken) },
    engineer: { id: engineer.id, token: engineerToken, auth: auth(engineerToken) },
    apiKey: { token: apiKeyToken, auth: auth(apiKeyToken) },
  };
}

/** Polls `fn` until it returns a truthy value (workflows settle asynchronously). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first row of a query, failing the test when there is none. */
export async function firstRow<T>(rows: Promise<readonly T[]>): Promise<T> {
  const [row] = await rows;
  if (row === undefined) throw new Error('query returned no row');
  return row;
}
