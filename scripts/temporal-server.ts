/**
 * Finds (or builds) the Temporal CLI and runs its dev server: used by
 * `npm run dev`, the test harness and `.ci/run` (`npm run temporal:cli`).
 *
 * Resolution order: TEMPORAL_CLI_PATH, `temporal` on PATH, a previous
 * `go install` in $(go env GOPATH)/bin, a fresh `go install` of v1.5.1 (the
 * last tag without replace directives; it embeds the Web UI), and last the
 * SDK's own download (TestWorkflowEnvironment.createLocal).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

type Log = (message: string) => void;

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

function goBinDir(): string | null {
  if (!onPath('go')) return null;
  const gobin = execFileSync('go', ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
  return gobin || path.join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin');
}

/** The CLI's path, building it with Go when needed; null when only the SDK download is left. */
export function resolveTemporalCli(log: Log = () => {}): string | null {
  const configured = process.env.TEMPORAL_CLI_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`TEMPORAL_CLI_PATH=${configured} does not exist`);
    return configured;
  }
  const found = onPath('temporal');
  if (found) return found;
  const bin = goBinDir();
  if (!bin) return null;
  const built = path.join(bin, 'temporal');
  if (existsSync(built)) return built;
  log(`building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (first time only, a few minutes)…`);
  execFileSync('go', ['install', TEMPORAL_CLI_MODULE], { stdio: 'inherit', env: { ...process.env, CGO_ENABLED: '0' } });
  return built;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface DevServerOptions {
  port?: number;
  /** Web UI port; no UI when omitted. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; in memory when omitted. */
  dbFilename?: string;
  namespace?: string;
  log?: Log;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | null;
  /** The CLI process, when we started one (tests kill and restart it). */
  process: ChildProcess | null;
  stop(): Promise<void>;
}

async function waitUntilServing(address: string, child: ChildProcess | null, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`temporal dev server at ${address} not serving: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Starts a dev server with our search attributes registered, and waits until it answers. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<RunningDevServer> {
  const log = opts.log ?? (() => {});
  const port = opts.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const namespace = opts.namespace ?? 'default';
  const cli = resolveTemporalCli(log);

  if (!cli) {
    log('no Temporal CLI and no Go: using the SDK download');
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        namespace,
        ...(opts.uiPort ? { ui: true, uiPort: opts.uiPort } : {}),
        ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
        searchAttributes: SEARCH_ATTRIBUTES,
      },
    });
    return { address, uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null, process: null, stop: () => env.teardown() };
  }

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-level', 'warn'];
  args.push(...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']));
  if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
  for (const attr of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${attr.name}=Keyword`);
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // The server's warnings are shown only when it fails to start; once up, they are noise.
  let startupLog = '';
  const collect = (chunk: Buffer) => (startupLog += chunk.toString());
  child.stderr?.on('data', collect);
  try {
    await waitUntilServing(address, child);
  } catch (err) {
    log(startupLog);
    child.kill('SIGKILL');
    throw err;
  }
  child.stderr?.off('data', collect);
  child.stderr?.resume();
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null,
    process: child,
    stop: () => stopChild(child),
  };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// `npm run temporal:cli`: resolve (build if needed) and print the path. Used by .ci/run.
if (require.main === module) {
  const cli = resolveTemporalCli((m) => console.error(m));
  console.log(cli ?? '(none: the SDK will download the dev server)');
}
