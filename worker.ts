/**
 * The Temporal worker process: config → sql → blob store → activities → Worker.
 * Run with `npm run worker` (production: `node dist/worker.js`).
 */
import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { RateLimiter } from './activities/rate-limiter';
import type { BlobStore } from './blob/blob-store';
import { LocalBlobStore } from './blob/local-blob-store';
import { type Config, loadConfig, requireDatabaseUrl } from './config';
import { createConnectorRegistry } from './connectors/registry';
import { CredentialCipher } from './db/crypto';
import { createSql, type Sql } from './db/sql';
import { RECONCILE_SCHEDULE_ID } from './domain/ids';
import { createLogger } from './logger';
import { connectClient, connectWorkerConnection } from './temporal/connection';
import { ensureIntegrationReconcileSchedule, upsertSchedule } from './temporal/integration-schedules';

export interface WorkerDeps {
  config: Config;
  sql: Sql;
  blobs: BlobStore;
  client: Client;
  connection: NativeConnection;
  /** A prebuilt bundle (tests bundle once); otherwise the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const { config } = deps;
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({
      config,
      sql: deps.sql,
      blobs: deps.blobs,
      client: deps.client,
      taskQueue: config.temporal.taskQueue,
      historyLimit: config.taskHistoryLimit,
      cipher: new CredentialCipher(config.credentialsKey),
      registry: createConnectorRegistry(config.fsm),
      // Per process: see activities/rate-limiter.ts for what that leaves out.
      limiter: new RateLimiter(),
      fullSyncIntervalSeconds: config.fsm.fullSyncIntervalSeconds,
    }),
  });
}

/**
 * Creates the recurring schedules, or brings an existing one up to date with
 * this configuration (interval, task queue, grace period); safe to call from
 * every worker at start.
 */
export async function ensureSchedules(client: Client, config: Config): Promise<void> {
  const spec = { intervals: [{ every: `${config.reconcileIntervalSeconds}s` }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'reconcileTaskWorkflowsWorkflow',
    workflowId: RECONCILE_SCHEDULE_ID,
    taskQueue: config.temporal.taskQueue,
    args: [{ graceSeconds: config.reconcileGraceSeconds }],
  };
  await upsertSchedule(client, RECONCILE_SCHEDULE_ID, spec, action);
  await ensureIntegrationReconcileSchedule(client, config.temporal.taskQueue, config.reconcileIntervalSeconds);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config);
  const sql = createSql(requireDatabaseUrl(config), { max: config.databasePoolMax });
  const client = await connectClient(config.temporal);
  const connection = await connectWorkerConnection(config.temporal);
  await ensureSchedules(client, config);
  const worker = await createWorker({ config, sql, blobs: new LocalBlobStore(config.blobDir), client, connection });
  if (config.credentialsKeyIsDevKey) log.warn('CREDENTIALS_KEY is not set: integration credentials are encrypted with the public development key');
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started');
  // Worker.run() returns after SIGINT/SIGTERM once in-flight tasks finish.
  await worker.run();
  await Promise.all([sql.end(), connection.close(), client.connection.close()]);
  log.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
