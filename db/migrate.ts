import { existsSync } from 'node:fs';
import path from 'node:path';
import { runner } from 'node-pg-migrate';

/** migrations/ beside db/ in the source tree; from dist/db/, the same folder one level further up. */
export const MIGRATIONS_DIR = [path.join(__dirname, '..', 'migrations'), path.join(__dirname, '..', '..', 'migrations')].find((d) =>
  existsSync(d),
)!;

/**
 * Applies pending migrations. node-pg-migrate holds an advisory lock while it
 * runs, so several processes starting at once apply each migration once.
 */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<void> {
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    checkOrder: true,
    log,
    logger: { debug: () => {}, info: log, warn: log, error: log },
  });
}

// `npm run migrate`: apply pending migrations to DATABASE_URL.
if (require.main === module) {
  // Lazy so that importing this module never reads the environment.
  const { loadConfig, requireDatabaseUrl } = require('../config') as typeof import('../config');
  migrate(requireDatabaseUrl(loadConfig()), console.log).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
