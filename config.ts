/**
 * The one place that reads process.env. Every setting is parsed and checked
 * here once; a bad value stops the process at start with a message naming it.
 */
export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** TLS on when an API key or client certificate is configured, or TEMPORAL_TLS=true. */
  tls: boolean;
  apiKey?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
}

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  databaseUrl?: string;
  databasePoolMax: number;
  temporal: TemporalConfig;
  blobDir: string;
  logLevel: string;
  /** Largest accepted attachment, per file. */
  attachmentMaxBytes: number;
  /** A task row without its workflow for this long is repaired by the reconciler. */
  reconcileGraceSeconds: number;
  /** How often the reconciler schedule runs. */
  reconcileIntervalSeconds: number;
  /** Lifecycle workflows continue-as-new beyond this many history events. */
  taskHistoryLimit: number;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'test' && nodeEnv !== 'production') {
    throw new ConfigError(`NODE_ENV must be development, test or production, got ${JSON.stringify(nodeEnv)}`);
  }
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const clientCertPath = env.TEMPORAL_TLS_CERT || undefined;
  const clientKeyPath = env.TEMPORAL_TLS_KEY || undefined;
  if (Boolean(clientCertPath) !== Boolean(clientKeyPath)) {
    throw new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  }
  return {
    env: nodeEnv,
    port: int(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 10, 1),
    temporal: {
      address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE || 'task-hub',
      tls: bool(env, 'TEMPORAL_TLS') ?? Boolean(apiKey || clientCertPath),
      apiKey,
      clientCertPath,
      clientKeyPath,
    },
    blobDir: env.BLOB_DIR || '.data/blobs',
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    attachmentMaxBytes: int(env, 'ATTACHMENT_MAX_BYTES', 10 * 1024 * 1024, 1),
    reconcileGraceSeconds: int(env, 'RECONCILE_GRACE_SECONDS', 60),
    reconcileIntervalSeconds: int(env, 'RECONCILE_INTERVAL_SECONDS', 60, 1),
    taskHistoryLimit: int(env, 'TASK_HISTORY_LIMIT', 10_000, 20),
  };
}

export function requireDatabaseUrl(config: Config): string {
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required (npm run dev starts an embedded PostgreSQL instead)');
  return config.databaseUrl;
}
