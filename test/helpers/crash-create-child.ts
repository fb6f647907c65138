/**
 * Run in a child process by test/workflows/reconcile.test.ts: the real API
 * creates a task, and the process freezes at the instant it would start the
 * task's workflow (the row is committed by then), so the parent can SIGKILL
 * it exactly between the row write and the workflow start.
 */
import { buildApp } from '../../api/app';
import { LocalBlobStore } from '../../blob/local-blob-store';
import { loadConfig } from '../../config';
import { createSql } from '../../db/sql';
import { connectClient } from '../../temporal/connection';

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const sql = createSql(config.databaseUrl!, { max: 2 });
  const client = await connectClient(config.temporal);
  client.workflow.start = (async (_type: unknown, options: { workflowId: string }) => {
    process.stdout.write(`ABOUT_TO_START ${options.workflowId}\n`);
    await new Promise(() => {}); // never returns: the parent kills us here
  }) as never;
  const app = await buildApp({ config, sql, blobs: new LocalBlobStore(config.blobDir), temporal: { client, taskQueue: config.temporal.taskQueue } });
  await app.inject({
    method: 'POST',
    url: '/v1/tasks',
    headers: { authorization: `Bearer ${process.env.CRASH_TOKEN}` },
    payload: { title: 'Created by a process that died' },
  });
  process.stdout.write('UNEXPECTEDLY_FINISHED\n');
}

void main();
