/**
 * The API process: config → sql → Temporal client → buildApp → listen.
 * Closes what it opened on SIGINT / SIGTERM.
 */
import { buildApp } from './api/app';
import { LocalBlobStore } from './blob/local-blob-store';
import { loadConfig, requireDatabaseUrl } from './config';
import { createSql } from './db/sql';
import { connectClient } from './temporal/connection';

async function main(): Promise<void> {
  const config = loadConfig();
  const sql = createSql(requireDatabaseUrl(config), { max: config.databasePoolMax });
  const client = await connectClient(config.temporal);
  const app = await buildApp({
    config,
    sql,
    blobs: new LocalBlobStore(config.blobDir),
    temporal: { client, taskQueue: config.temporal.taskQueue, historyLimit: config.taskHistoryLimit },
  });
  await app.listen({ port: config.port, host: config.host });
  const stop = async () => {
    await app.close();
    await Promise.all([sql.end(), client.connection.close()]);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
