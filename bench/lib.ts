/**
 * What every benchmark shares: a dedicated database loaded once, a timing
 * loop, percentiles, a table printer, and the result file.
 *
 * Each benchmark writes bench-results/<name>.json holding at least its
 * headline `ratio` and the `target` that ratio is held to.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { type Config, loadConfig } from '../config';
import { migrate } from '../db/migrate';

export const RESULTS_DIR = path.join(__dirname, '..', 'bench-results');

/** The server named by DATABASE_URL (as the app reads it), else the local default. */
export function serverUrl(): string {
  return process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
}

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A benchmark's own database on the server, with the migrations applied and
 * its data loaded by `load` once. `tag` names the data set: the database's
 * comment records it after a complete load, so a re-run with the same tag
 * skips loading, and a changed tag (or a load that died half way) starts
 * again from an empty database. Migrations added later are applied on top.
 */
export async function prepareDatabase(opts: {
  name: string;
  tag: string;
  load: (url: string) => Promise<void>;
  log?: (msg: string) => void;
}): Promise<{ url: string; loadedMs: number | null }> {
  const { name, tag, load, log = console.log } = opts;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const url = databaseUrl(name);
  const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} });
  let loaded: boolean;
  try {
    const [row] = await admin<{ tag: string | null }[]>`
      SELECT shobj_description(oid, 'pg_database') AS tag FROM pg_database WHERE datname = ${name}`;
    loaded = row?.tag === tag;
    if (!loaded) {
      if (row) log(`database ${name}: data set "${row.tag ?? '(incomplete)'}" is not "${tag}"; recreating it`);
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.unsafe(`CREATE DATABASE ${name}`);
    }
  } finally {
    await admin.end();
  }
  await migrate(url);
  if (loaded) return { url, loadedMs: null };

  const started = performance.now();
  await load(url);
  const loadedMs = performance.now() - started;
  const db = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await db.unsafe(`COMMENT ON DATABASE ${name} IS ${quoteLiteral(tag)}`);
  } finally {
    await db.end();
  }
  return { url, loadedMs };
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export interface Stats {
  n: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The p-th percentile (0..100) of ascending `sorted`, interpolating between the nearest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function summarize(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    min: sorted[0]!,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

/** Milliseconds one call of `fn` takes. */
export async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Times several ways of doing the same thing against each other, one call at
 * a time: each round calls every variant once, and the order rotates each
 * round, so drift on the machine (a checkpoint, another process, GC) lands
 * on all variants alike instead of on whichever ran last. Warm-up rounds
 * run first and are not recorded. Returns the samples in ms per variant.
 */
export async function timeInterleaved<K extends string>(
  variants: Record<K, () => Promise<unknown>>,
  opts: { warmup: number; iterations: number },
): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < opts.warmup + opts.iterations; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]!;
      const ms = await timeOnce(variants[name]);
      if (round >= opts.warmup) samples[name].push(ms);
    }
  }
  return samples;
}

export function machine(): { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string } {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

export interface BenchResult {
  name: string;
  /** The headline figure, compared with `target`. */
  ratio: number;
  target: number;
  [key: string]: unknown;
}

/** Writes bench-results/<name>.json (with the machine and time added) and returns its path. */
export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.name}.json`);
  const full = { ...result, machine: machine(), at: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(full, null, 2) + '\n');
  return file;
}

/** A number of milliseconds as a table cell. */
export function ms(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** A plain-text table; numeric-looking cells are right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = /^[-+]?[\d.]+[×x%]?$/;
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** The configuration a bench's API and worker run with: test defaults, quiet logs, this run's database, Temporal server and task queue. */
export function benchConfig(run: { databaseUrl: string; temporalAddress: string; taskQueue: string }, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: run.databaseUrl,
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: run.temporalAddress,
    TEMPORAL_TASK_QUEUE: run.taskQueue,
    ...env,
  });
}
