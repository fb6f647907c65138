/**
 * `npm run dev`: everything on embedded defaults, in one process tree.
 *
 * Temporal dev server (Web UI, state in .data/temporal.db, our search
 * attributes) unless TEMPORAL_ADDRESS is set; PostgreSQL from DATABASE_URL,
 * else embedded in .data/pg; migrations; a demo tenant with an admin and an
 * engineer; the worker and the API. Ctrl-C stops it all.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from '../api/app';
import { LocalBlobStore } from '../blob/local-blob-store';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createToken, createUser, createTenant, hashToken } from '../db/repositories/accounts';
import { createSql, type Sql } from '../db/sql';
import { connectClient, connectWorkerConnection } from '../temporal/connection';
import { createWorker, ensureSchedules } from '../worker';
import { startEmbeddedPostgres } from './embedded-db';
import { startDevServer } from './temporal-server';

const DATA = path.resolve(process.env.TASKHUB_DATA_DIR ?? '.data');
const DEMO_TENANT = 'Demo tenant';

const say = (m: string) => console.log(`[dev] ${m}`);

/** The demo tenant with an admin and an engineer; fresh tokens each start (the admin's fixed by TASKHUB_DEV_ADMIN_TOKEN). */
async function seedDemo(sql: Sql): Promise<{ tenantId: string; adminToken: string; engineerToken: string }> {
  return sql.begin(async (tx) => {
    let [tenant] = await tx<{ id: string }[]>`SELECT id FROM tenants WHERE name = ${DEMO_TENANT} ORDER BY created_at LIMIT 1`;
    tenant ??= await createTenant(tx, DEMO_TENANT);
    const user = async (email: string, name: string, role: 'admin' | 'engineer') => {
      const [found] = await tx<{ id: string }[]>`SELECT id FROM users WHERE tenant_id = ${tenant!.id} AND email = ${email}`;
      return found ?? (await createUser(tx, tenant!.id, { email, name, role }));
    };
    const admin = await user('admin@demo.test', 'Ada Admin', 'admin');
    const engineer = await user('engineer@demo.test', 'Eddie Engineer', 'engineer');
    const fixed = process.env.TASKHUB_DEV_ADMIN_TOKEN;
    let adminToken: string;
    if (fixed) {
      const [exists] = await tx`SELECT 1 FROM api_tokens WHERE token_hash = ${hashToken(fixed)}`;
      if (!exists) await createToken(tx, tenant.id, { userId: admin.id, name: 'dev admin', token: fixed });
      adminToken = fixed;
    } else {
      adminToken = (await createToken(tx, tenant.id, { userId: admin.id, name: 'dev admin' })).token;
    }
    const engineerToken = (await createToken(tx, tenant.id, { userId: engineer.id, name: 'dev engineer' })).token;
    return { tenantId: tenant.id, adminToken, engineerToken };
  });
}

async function main(): Promise<void> {
  mkdirSync(DATA, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(err));
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (!process.env.TEMPORAL_ADDRESS) {
      const port = Number(process.env.TEMPORAL_PORT ?? 7233);
      const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
      const server = await startDevServer({ port, uiPort, dbFilename: path.join(DATA, 'temporal.db'), log: (m) => say(`temporal: ${m}`) });
      stops.push(() => server.stop());
      process.env.TEMPORAL_ADDRESS = server.address;
      process.env.TEMPORAL_UI_URL = server.uiUrl ?? '';
    }
    if (!process.env.DATABASE_URL) {
      const db = await startEmbeddedPostgres({
        dir: path.join(DATA, 'pg'),
        port: Number(process.env.EMBEDDED_PG_PORT ?? 5433),
        database: 'taskhub',
        log: (m) => say(`postgres: ${m}`),
      });
      stops.push(() => db.stop());
      process.env.DATABASE_URL = db.url;
    }
    process.env.BLOB_DIR ??= path.join(DATA, 'blobs');
    const config = loadConfig();

    await migrate(config.databaseUrl!, (m) => say(`migrate: ${m}`));
    const sql = createSql(config.databaseUrl!, { max: config.databasePoolMax });
    stops.push(() => sql.end());
    const demo = await seedDemo(sql);

    const client = await connectClient(config.temporal);
    stops.push(() => client.connection.close());
    await ensureSchedules(client, config);
    const connection = await connectWorkerConnection(config.temporal);
    const blobs = new LocalBlobStore(config.blobDir);
    const worker = await createWorker({ config, sql, blobs, client, connection });
    const running = worker.run();
    stops.push(async () => {
      // The SDK's runtime shuts workers down on SIGINT/SIGTERM by itself.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    });

    const app = await buildApp({
      config,
      sql,
      blobs,
      temporal: { client, taskQueue: config.temporal.taskQueue, historyLimit: config.taskHistoryLimit },
    });
    await app.listen({ port: config.port, host: config.host });
    stops.push(() => app.close());

    const api = `http://${config.host}:${config.port}`;
    console.log(`
Task Hub is running.
  API          ${api}
  OpenAPI docs ${api}/docs
  Temporal UI  ${process.env.TEMPORAL_UI_URL || '(external cluster: ' + config.temporal.address + ')'}
  Database     ${config.databaseUrl!.replace(/:[^:@/]+@/, ':***@')}

Demo tenant ${demo.tenantId}
  admin token     ${demo.adminToken}
  engineer token  ${demo.engineerToken}

Try: curl -H "Authorization: Bearer ${demo.adminToken}" ${api}/v1/tasks
Ctrl-C stops everything.`);
  } catch (err) {
    console.error(err);
    await stopAll();
    process.exit(1);
  }
}

void main();
