/**
 * The real worker (worker.ts createWorker) in a process of its own, so a test
 * can SIGKILL it in the middle of an activity: no shutdown, no completion
 * reported, sockets dropped, as when a machine dies. The parent side is
 * `spawnWorkerChild`; run as a script, this file is the child. Its
 * configuration comes from the environment, as a deployed worker's does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { LocalBlobStore } from '../../blob/local-blob-store';
import { loadConfig } from '../../config';
import { createSql } from '../../db/sql';
import { stopChild } from '../../scripts/temporal-server';
import { createWorker } from '../../worker';
import { env } from './harness';

const READY = 'WORKER_READY';

export interface WorkerChild {
  pid: number;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
  /** A graceful stop (SIGTERM), for the end of a test. */
  stop(): Promise<void>;
}

/**
 * Starts a worker process on `taskQueue` of the Temporal server at
 * `temporalAddress` (default: the shared test server) and the test database,
 * and resolves once it polls. `extraEnv` adds configuration (FSM URLs, timeouts).
 */
export function spawnWorkerChild(opts: { taskQueue: string; temporalAddress?: string; extraEnv?: Record<string, string> }): Promise<WorkerChild> {
  // tsx as a loader of this node process, not the tsx CLI: that runs the script in a grandchild a SIGKILL would miss.
  const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, __filename], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: env('TEST_DATABASE_URL'),
      TEMPORAL_ADDRESS: opts.temporalAddress ?? env('TEST_TEMPORAL_ADDRESS'),
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      ...opts.extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes(READY)) return;
      child.stdout!.off('data', onData).resume();
      child.off('exit', onEarlyExit);
      resolve(handle(child));
    };
    const onEarlyExit = (code: number | null) => reject(new Error(`worker child exited (${code}) before it was ready: ${out}`));
    child.stdout!.on('data', onData);
    child.once('exit', onEarlyExit);
  });
}

function handle(child: ChildProcess): WorkerChild {
  return {
    pid: child.pid!,
    kill: () => stopChild(child, 'SIGKILL'),
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

async function main(): Promise<void> {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never });
  const config = loadConfig();
  const sql = createSql(config.databaseUrl!, { max: 5 });
  const client = new Client({ connection: await Connection.connect({ address: config.temporal.address }), namespace: config.temporal.namespace });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker({ config, sql, blobs: new LocalBlobStore(config.blobDir), client, connection, workflowBundle: { codePath: env('TEST_WORKFLOW_BUNDLE') } });
  const running = worker.run();
  process.stdout.write(`${READY}\n`);
  await running;
  await Promise.all([sql.end(), connection.close(), client.connection.close()]);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
