/**
 * A Temporal dev server of one suite's own, keeping its state in a SQLite
 * file, so a test can stop it (SIGTERM, as an operator or a crash would) and
 * start it again on the same port and file, and find every workflow where it
 * was. The shared server of global-setup.ts is in memory and must stay up
 * for the other suites, hence a dedicated one.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningDevServer, freePort, startDevServer } from '../../scripts/temporal-server';

export interface PersistentDevServer {
  /** host:port, the same across restarts. */
  address: string;
  /** Stops the server (SIGTERM); its state stays in the file. */
  stop(): Promise<void>;
  /** Starts it again on the same port and file; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and removes its file. */
  remove(): Promise<void>;
}

const log = (message: string) => process.stderr.write(`temporal (dedicated): ${message}\n`);

export async function startPersistentDevServer(): Promise<PersistentDevServer> {
  const dir = path.join(process.env.TEST_TMP_DIR ?? os.tmpdir(), `temporal-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  const options = { port: await freePort(), dbFilename: path.join(dir, 'temporal.db'), log };
  let server: RunningDevServer | null = await startDevServer(options);
  const stop = async () => {
    await server?.stop();
    server = null;
  };
  return {
    address: server.address,
    stop,
    async start() {
      if (server) throw new Error('the dedicated dev server is running already');
      server = await startDevServer(options);
    },
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
